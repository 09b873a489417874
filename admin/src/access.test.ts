import { describe, expect, it } from "vitest";

import openapi from "../openapi.json";
import { SECTION_ROLES, type Section, homeOf, mayOpen } from "./access";

const document = openapi as unknown as { paths: Record<string, Record<string, { "x-strata-roles"?: string[] } | undefined>> };

/** Where each section's API lives in the document. */
const API: Record<Section, string> = {
  properties: "/api/admin/properties/",
  categories: "/api/admin/categories/",
  tags: "/api/admin/tags/",
  options: "/api/admin/options/",
  users: "/api/admin/users/",
  cache: "/api/admin/cache/",
  me: "/api/auth/me",
};

describe("who may open each section", () => {
  it("is who the server lets call every operation of its API (x-strata-roles)", () => {
    for (const [section, prefix] of Object.entries(API) as [Section, string][]) {
      const operations = Object.entries(document.paths)
        .filter(([path]) => path.startsWith(prefix))
        .flatMap(([, methods]) => Object.values(methods));
      expect(operations.length, section).toBeGreaterThan(0);
      for (const operation of operations) {
        expect([...(operation?.["x-strata-roles"] ?? [])].sort(), section).toEqual([...SECTION_ROLES[section]].sort());
      }
    }
  });

  it("keeps users and the cache dashboard to admins", () => {
    expect(mayOpen("users", "admin")).toBe(true);
    expect(mayOpen("users", "editor")).toBe(false);
    expect(mayOpen("cache", "editor")).toBe(false);
    expect(mayOpen("properties", "editor")).toBe(true);
    expect(mayOpen("properties", "support")).toBe(false);
  });
});

describe("where /admin/ leads", () => {
  it("is the first section the role may open", () => {
    expect(homeOf("admin")).toBe("properties");
    expect(homeOf("editor")).toBe("properties");
    expect(homeOf("support")).toBe("me");
  });
});
