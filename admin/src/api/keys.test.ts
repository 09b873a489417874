import { describe, expect, it } from "vitest";

import { GC_TIME, STALE_TIME, makeQueryClient, queryKey, resourceKey } from "./keys";

describe("query keys", () => {
  it("are [admin, resource, params]", () => {
    expect(queryKey("properties", { status: "draft", page: 2 })).toEqual(["admin", "properties", { status: "draft", page: 2 }]);
    expect(resourceKey("categories")).toEqual(["admin", "categories"]);
  });

  it("drop absent params, so the same request is the same query", () => {
    expect(queryKey("properties", { status: undefined, q: "" })).toEqual(queryKey("properties"));
    expect(queryKey("properties", {})).toEqual(["admin", "properties", {}]);
  });

  it("keep false and 0, which are real filters", () => {
    expect(queryKey("properties", { featured: false, page: 0 })).toEqual(["admin", "properties", { featured: false, page: 0 }]);
  });
});

describe("the query client", () => {
  it("follows the policy's §9 (staleTime 0, gcTime 30 s) and refetches on focus and reconnect", () => {
    const queries = makeQueryClient().getDefaultOptions().queries;
    expect(STALE_TIME).toBe(0);
    expect(GC_TIME).toBe(30_000);
    expect(queries?.staleTime).toBe(0);
    expect(queries?.gcTime).toBe(30_000);
    expect(queries?.refetchOnWindowFocus).toBe(true);
    expect(queries?.refetchOnReconnect).toBe(true);
  });
});
