import { connection } from "next/server";
import { properties } from "../lib/strata";

// Rendered per request (Strata is not running at build time); the data comes from Next's data
// cache until Strata revalidates the `properties` tag.
export default async function Home() {
  await connection();
  const items = await properties();
  return (
    <main>
      <h1>Properties</h1>
      <ul>
        {items.map((p) => (
          <li key={p.id} data-id={p.id}>
            <a href={`/properties/${p.id}`}>{p.title}</a>
          </li>
        ))}
      </ul>
    </main>
  );
}
