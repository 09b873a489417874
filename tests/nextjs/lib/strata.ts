// Reads Strata's public API the way the original front end does: every fetch is kept in Next's
// data cache under a tag Strata revalidates (`properties`, `property:<id>`). No time-based
// `revalidate`: only Strata's calls refresh the data, which is what the test observes.

export type Property = { id: number; title: string; city: string };
type Page<T> = { count: number; results: T[] };

function api(path: string): string {
  const base = process.env.STRATA_API;
  if (!base) throw new Error("STRATA_API is not set (Strata's base URL)");
  return new URL(path, base).toString();
}

async function get<T>(path: string, tags: string[]): Promise<T | null> {
  const response = await fetch(api(path), { cache: "force-cache", next: { tags } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`GET ${path}: ${response.status}`);
  return (await response.json()) as T;
}

export async function properties(): Promise<Property[]> {
  const page = await get<Page<Property>>("/api/properties/?page_size=100", ["properties"]);
  return page?.results ?? [];
}

export async function property(id: number): Promise<Property | null> {
  return get<Property>(`/api/properties/${id}/`, [`property:${id}`]);
}
