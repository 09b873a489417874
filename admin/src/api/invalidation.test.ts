import { describe, expect, it } from "vitest";

import openapi from "../../openapi.json";
import { OPERATION_MODEL, RESOURCE_SHOWS } from "./invalidates.gen";
import { type Model, type Operation, SHOWN_BY, invalidateAfter, touchedResources } from "./invalidation";
import { type Resource, makeQueryClient, queryKey } from "./keys";

const RESOURCES: Resource[] = ["properties", "categories", "tags", "options", "users", "cache", "me"];

/** A client holding one query per resource, and which of them `operation` invalidated. */
async function invalidated(operation: Operation): Promise<Resource[]> {
  const client = makeQueryClient();
  for (const resource of RESOURCES) client.setQueryData(queryKey(resource, { page: 1 }), { count: 0 });
  // A second query of the same resource, with other params: a prefix catches both.
  client.setQueryData(queryKey("properties", { status: "draft" }), { count: 0 });
  await invalidateAfter(client, operation);
  const hit = new Set<Resource>();
  for (const query of client.getQueryCache().getAll()) {
    const resource = query.queryKey[1] as Resource;
    if (query.state.isInvalidated) hit.add(resource);
    else if (hit.has(resource)) throw new Error(`only part of ${resource} was invalidated`);
  }
  return [...hit].sort();
}

describe("a successful mutation invalidates exactly its resources", () => {
  it("a property write: properties only", async () => {
    expect(await invalidated("PATCH /api/admin/properties/{id}/")).toEqual(["properties"]);
    expect(await invalidated("POST /api/admin/properties/bulk/")).toEqual(["properties"]);
  });

  it("a category rename: categories and properties (rows and forms show category names)", async () => {
    expect(await invalidated("PATCH /api/admin/categories/{id}/")).toEqual(["categories", "properties"]);
  });

  it("a tag or option change: itself and properties, not the other taxonomies", async () => {
    expect(await invalidated("DELETE /api/admin/tags/{id}/")).toEqual(["properties", "tags"]);
    expect(await invalidated("POST /api/admin/options/")).toEqual(["options", "properties"]);
  });

  it("a write that publishes no model (a cache flag): its own resource only", async () => {
    expect(await invalidated("PUT /api/admin/cache/flags/")).toEqual(["cache"]);
  });

  it("never touches the session (me) or unrelated resources", async () => {
    for (const operation of Object.keys(OPERATION_MODEL) as Operation[]) {
      const hit = await invalidated(operation);
      expect(hit).toEqual([...new Set(touchedResources(operation))].sort());
      expect(hit).not.toContain("me");
    }
  });
});

describe("the generated map is the document's", () => {
  const document = openapi as unknown as { paths: Record<string, Record<string, Record<string, unknown> | undefined>> };

  it("lists every admin write with its x-strata-invalidates model", () => {
    const expected: Record<string, unknown> = {};
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith("/api/admin/")) continue;
      for (const method of ["post", "put", "patch", "delete"]) {
        const operation = operations[method];
        if (operation) expected[`${method.toUpperCase()} ${path}`] = operation["x-strata-invalidates"] ?? null;
      }
    }
    expect(OPERATION_MODEL).toEqual(expected);
  });

  it("says where the admin shows every model the document publishes", () => {
    for (const model of Object.values(OPERATION_MODEL) as (Model | null)[]) {
      if (model !== null) expect(SHOWN_BY[model]?.length ?? 0).toBeGreaterThan(0);
    }
  });

  it("takes each resource's models from its list operation's x-strata-shows", () => {
    const expected: Record<string, unknown> = {};
    for (const [path, operations] of Object.entries(document.paths)) {
      const shows = operations.get?.["x-strata-shows"];
      if (path.startsWith("/api/admin/") && shows) expected[path.split("/")[3] ?? ""] = shows;
    }
    expect(RESOURCE_SHOWS).toEqual(expected);
    expect(SHOWN_BY).toEqual({
      property: ["properties"],
      category: ["categories", "properties"],
      tag: ["properties", "tags"],
      option: ["options", "properties"],
      user: ["users"],
    });
  });
});
