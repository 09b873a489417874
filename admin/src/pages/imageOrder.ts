// Moving a property's images into a new order, by pointer (drag and drop) or keyboard (Space
// picks an image up, arrow keys move it, Space drops it, Escape puts it back): the same few pure
// steps either way, so the screen only wires events to them.

/** An image being moved: the order as it stands now, and the one it was picked up from. */
export interface Moving {
  id: number;
  ids: readonly number[];
  from: readonly number[];
}

export function pickUp(ids: readonly number[], id: number): Moving {
  return { id, ids, from: ids };
}

/** The moving image at `index` (clamped to the list), the others keeping their order. */
export function moveTo(moving: Moving, index: number): Moving {
  const rest = moving.ids.filter((id) => id !== moving.id);
  const at = Math.max(0, Math.min(index, rest.length));
  return { ...moving, ids: [...rest.slice(0, at), moving.id, ...rest.slice(at)] };
}

/** Where the moving image stands now, 0-based. */
export function positionOf(moving: Moving): number {
  return moving.ids.indexOf(moving.id);
}

/** Whether dropping it here changes the order (else there is nothing to send). */
export function changed(moving: Moving): boolean {
  return moving.ids.some((id, i) => id !== moving.from[i]);
}

/** A step through the list: a number of places (negative: earlier), or to an end. */
export type Step = number | "first" | "last";

/** What a key does to a picked-up image. The images run in the reading direction, so in
 * right-to-left the right arrow moves an image earlier; up and down move by one whatever the
 * direction. Null: not a moving key. */
export function stepOf(key: string, dir: "ltr" | "rtl"): Step | null {
  const forward = dir === "rtl" ? "ArrowLeft" : "ArrowRight";
  const backward = dir === "rtl" ? "ArrowRight" : "ArrowLeft";
  switch (key) {
    case forward:
    case "ArrowDown":
      return 1;
    case backward:
    case "ArrowUp":
      return -1;
    case "Home":
      return "first";
    case "End":
      return "last";
    default:
      return null;
  }
}

export function moveBy(moving: Moving, step: Step): Moving {
  if (step === "first") return moveTo(moving, 0);
  if (step === "last") return moveTo(moving, moving.ids.length - 1);
  return moveTo(moving, positionOf(moving) + step);
}
