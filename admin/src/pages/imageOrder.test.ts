import { describe, expect, it } from "vitest";

import { changed, moveBy, moveTo, pickUp, positionOf, stepOf } from "./imageOrder";

describe("moving an image by keyboard", () => {
  it("arrows follow the reading direction: in RTL the left arrow moves later", () => {
    expect(stepOf("ArrowRight", "ltr")).toBe(1);
    expect(stepOf("ArrowLeft", "ltr")).toBe(-1);
    expect(stepOf("ArrowLeft", "rtl")).toBe(1);
    expect(stepOf("ArrowRight", "rtl")).toBe(-1);
  });

  it("up and down, Home and End mean the same in both directions; other keys nothing", () => {
    for (const dir of ["ltr", "rtl"] as const) {
      expect(stepOf("ArrowDown", dir)).toBe(1);
      expect(stepOf("ArrowUp", dir)).toBe(-1);
      expect(stepOf("Home", dir)).toBe("first");
      expect(stepOf("End", dir)).toBe("last");
      expect(stepOf(" ", dir)).toBeNull();
      expect(stepOf("a", dir)).toBeNull();
    }
  });

  it("moves the picked image, keeps the others in order, and stops at the ends", () => {
    const picked = pickUp([10, 20, 30, 40], 20);
    expect(positionOf(picked)).toBe(1);
    const later = moveBy(picked, 1);
    expect(later.ids).toEqual([10, 30, 20, 40]);
    expect(moveBy(moveBy(later, 1), 1).ids).toEqual([10, 30, 40, 20]);
    expect(moveBy(picked, -5).ids).toEqual([20, 10, 30, 40]);
    expect(moveBy(picked, "last").ids).toEqual([10, 30, 40, 20]);
    expect(moveBy(picked, "first").ids).toEqual([20, 10, 30, 40]);
  });

  it("an RTL right arrow then left arrow puts it back: nothing to send", () => {
    let moving = pickUp([1, 2, 3], 3);
    const step = (key: string) => {
      const s = stepOf(key, "rtl");
      if (s !== null) moving = moveBy(moving, s);
    };
    step("ArrowRight");
    expect(moving.ids).toEqual([1, 3, 2]);
    expect(changed(moving)).toBe(true);
    step("ArrowLeft");
    expect(moving.ids).toEqual([1, 2, 3]);
    expect(changed(moving)).toBe(false);
  });

  it("a drag over another image takes its place; cancelling keeps the order it started from", () => {
    const dragged = moveTo(pickUp([1, 2, 3, 4], 4), 1);
    expect(dragged.ids).toEqual([1, 4, 2, 3]);
    expect(dragged.from).toEqual([1, 2, 3, 4]);
    expect(moveTo(dragged, 99).ids).toEqual([1, 2, 3, 4]);
  });
});
