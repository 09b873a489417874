// Who may open each section of the admin: the roles the server lets call the section's API
// (the route groups of crates/strata/src/server/api.rs, written into the document as
// `x-strata-roles`; access.test.ts holds this table against it). The server still decides;
// this only spares a role the links and screens that would answer 403.
import type { components } from "./api/schema";

export type Role = components["schemas"]["Role"];

const CONTENT: readonly Role[] = ["admin", "editor"];
const ADMINS: readonly Role[] = ["admin"];

export const SECTION_ROLES = {
  properties: CONTENT,
  categories: CONTENT,
  tags: CONTENT,
  options: CONTENT,
  users: ADMINS,
  cache: ADMINS,
  me: ["admin", "editor", "support"],
} as const satisfies Record<string, readonly Role[]>;

export type Section = keyof typeof SECTION_ROLES;

export function mayOpen(section: Section, role: Role): boolean {
  return (SECTION_ROLES[section] as readonly Role[]).includes(role);
}

/** Where `/admin/` leads a role: its first section in the nav's order (support: its account). */
export function homeOf(role: Role): Section {
  return (Object.keys(SECTION_ROLES) as Section[]).find((section) => mayOpen(section, role)) ?? "me";
}
