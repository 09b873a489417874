import { describe, expect, it } from "vitest";

import { isScheduled } from "./scheduled";

describe("isScheduled", () => {
  const now = new Date("2026-12-07T12:00:00Z");
  it("is a published row whose time is ahead", () => {
    expect(isScheduled({ status: "published", published_at: "2026-12-07T12:00:01Z" }, now)).toBe(true);
  });
  it("is not a row already public, a draft, or a row without a time", () => {
    expect(isScheduled({ status: "published", published_at: "2026-12-07T11:59:59Z" }, now)).toBe(false);
    expect(isScheduled({ status: "draft", published_at: "2026-12-08T00:00:00Z" }, now)).toBe(false);
    expect(isScheduled({ status: "published", published_at: null }, now)).toBe(false);
  });
});
