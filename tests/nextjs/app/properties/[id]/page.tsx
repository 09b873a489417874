import { notFound } from "next/navigation";
import { connection } from "next/server";
import { property } from "../../../lib/strata";

export default async function PropertyPage({ params }: { params: Promise<{ id: string }> }) {
  await connection();
  const id = Number((await params).id);
  if (!Number.isSafeInteger(id) || id <= 0) notFound();
  const item = await property(id);
  if (!item) notFound();
  return (
    <main>
      <h1>{item.title}</h1>
      <p>{item.city}</p>
    </main>
  );
}
