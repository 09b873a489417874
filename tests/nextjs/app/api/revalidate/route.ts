import { revalidateTag } from "next/cache";

// The cache policy's revalidate route, as the original front end has it: POST {tag, secret}.
export async function POST(request: Request) {
  let body: { tag?: unknown; secret?: unknown };
  try {
    body = await request.json();
  } catch {
    return Response.json({ error: "invalid JSON" }, { status: 400 });
  }
  if (!process.env.REVALIDATE_SECRET || body.secret !== process.env.REVALIDATE_SECRET) {
    return Response.json({ error: "unauthorized" }, { status: 401 });
  }
  if (typeof body.tag !== "string" || body.tag === "") {
    return Response.json({ error: "tag is required" }, { status: 400 });
  }
  // Next 16's signature: `{ expire: 0 }` makes the next request wait for fresh data instead of
  // being served the stale entry while it refreshes.
  revalidateTag(body.tag, { expire: 0 });
  return Response.json({ revalidated: true });
}
