// The admin's query keys and cache settings: the policy's §9 (docs/POLICY.md).
// The admin caches requests, never data of record: every list is refetched when used
// (staleTime 0) and dropped 30 s after its last observer goes (gcTime).
import { QueryClient } from "@tanstack/react-query";

/** The admin resources the SPA shows, by their URL segment under /api/admin/; and "schema",
 * the served OpenAPI document, which says how the site shows things (api/site.ts). */
export type Resource = "properties" | "categories" | "tags" | "options" | "users" | "cache" | "me" | "schema";

export type Params = Readonly<Record<string, string | number | boolean | undefined>>;

/** `["admin", resource]`: the prefix a write invalidates. */
export function resourceKey(resource: Resource) {
  return ["admin", resource] as const;
}

/** `["admin", resource, params]`: one query. Undefined and empty params are dropped so that
 * `{status: undefined}` and `{}` are the same query, as they are the same request. */
export function queryKey(resource: Resource, params: Params = {}) {
  const kept: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") kept[name] = value;
  }
  return ["admin", resource, kept] as const;
}

export const STALE_TIME = 0;
export const GC_TIME = 30_000;

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: STALE_TIME,
        gcTime: GC_TIME,
        refetchOnWindowFocus: true,
        refetchOnReconnect: true,
        // A 4xx will not change on retry; the client redirects 401s itself.
        retry: (failures, error) =>
          failures < 2 && !(error instanceof Error && "status" in error && Number(error.status) < 500),
      },
    },
  });
}
