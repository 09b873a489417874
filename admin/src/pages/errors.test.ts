import { describe, expect, it } from "vitest";

import { ApiError } from "../api/client";
import { problemsOf } from "./errors";

describe("a failed write's problems", () => {
  it("go next to the fields the form shows, the rest into the alert", () => {
    const error = new ApiError(400, { role: ["You cannot remove your own admin role."], non_field_errors: ["The site needs at least one active admin."] });
    const shown = problemsOf(error, ["role", "username"]);
    expect(shown.field("role")).toBe("You cannot remove your own admin role.");
    expect(shown.field("username")).toBeUndefined();
    expect(shown.alert).toBe("The site needs at least one active admin.");
  });

  it("are all in the alert when no field is shown (a row action)", () => {
    const problems = problemsOf(new ApiError(400, { is_active: ["You cannot deactivate your own account."] }));
    expect(problems.alert).toBe("You cannot deactivate your own account.");
    expect(problems.field("is_active")).toBeUndefined();
  });

  it("leave no alert when every message is next to its field", () => {
    expect(problemsOf(new ApiError(400, { password: ["Too short."] }), ["password"]).alert).toBeNull();
  });

  it("say what happened without a DRF body, and nothing without an error", () => {
    expect(problemsOf(new ApiError(404, { detail: "Not found." })).alert).toBe("Not found.");
    expect(problemsOf(new ApiError(502, null)).alert).toBe("HTTP 502");
    expect(problemsOf(new TypeError("Failed to fetch")).alert).toBe("Failed to fetch");
    expect(problemsOf(null)).toMatchObject({ alert: null, failed: false });
  });
});
