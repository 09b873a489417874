import { describe, expect, it } from "vitest";

import { WARM_POLL_MS, warmPollInterval, warmProgress } from "./warm";

describe("the warm's progress", () => {
  it("counts done of total in whole percent", () => {
    expect(warmProgress({ state: "running", done: 1, total: 3, failed: 0 })).toEqual({ phase: "running", done: 1, total: 3, failed: 0, percent: 33 });
    expect(warmProgress({ state: "done", done: 70, total: 70, failed: 2 }).percent).toBe(100);
  });

  it("is complete when a finished warm had nothing to load, empty before any warm", () => {
    expect(warmProgress({ state: "done", done: 0, total: 0, failed: 0 }).percent).toBe(100);
    expect(warmProgress({ state: "idle", done: 0, total: 0, failed: 0 })).toMatchObject({ phase: "idle", percent: 0 });
    expect(warmProgress(undefined)).toMatchObject({ phase: "idle", percent: 0 });
  });

  it("reads a state it does not know as idle", () => {
    expect(warmProgress({ state: "paused", done: 1, total: 2, failed: 0 }).phase).toBe("idle");
  });

  it("is polled while running, and only then", () => {
    expect(warmPollInterval({ state: "running", done: 0, total: 5, failed: 0 })).toBe(WARM_POLL_MS);
    expect(warmPollInterval({ state: "done", done: 5, total: 5, failed: 0 })).toBe(false);
    expect(warmPollInterval({ state: "idle", done: 0, total: 0, failed: 0 })).toBe(false);
    expect(warmPollInterval(undefined)).toBe(false);
  });
});
