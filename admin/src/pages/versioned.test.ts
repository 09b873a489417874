import { describe, expect, it } from "vitest";

import { changedFields, changes, choose, edit, equal, failed, merge, refused, resolved, saved, sending, settled, start } from "./versioned";

// A property as the form holds it, trimmed to what the rules need.
const v1 = { title_fa: "ویلا", price: "100.00", city_fa: "تهران", tags: ["1", "2"], featured: false };
type P = typeof v1;
const at = (patch: Partial<P>): P => ({ ...v1, ...patch });

describe("a versioned draft", () => {
  it("sends only what the editor changed", () => {
    const state = edit(start(v1, 3), { price: "200" });
    expect(changedFields(state)).toEqual(["price"]);
    expect(changes(state)).toEqual({ price: "200" });
    expect(changes(edit(state, { tags: ["1", "2"] }))).toEqual({ price: "200" });
    expect(changes(edit(state, { tags: ["1"] }))).toEqual({ price: "200", tags: ["1"] });
  });

  it("an untouched form takes every new value, and says nothing", () => {
    const state = merge(start(v1, 3), at({ title_fa: "ویلای نو", tags: ["2"] }), 4);
    expect(state.draft).toEqual(at({ title_fa: "ویلای نو", tags: ["2"] }));
    expect(state.version).toBe(4);
    expect(changedFields(state)).toEqual([]);
    expect(state.taken).toEqual([]);
  });

  // Issue 20's reproduction: B changed only the price; A saved a new title. B's save must send
  // the price alone, against A's version, and B's form must show A's title.
  it("a touched form takes their new values in the fields it did not touch, and keeps its own", () => {
    const b = edit(start(v1, 3), { price: "200" });
    const merged = merge(b, at({ title_fa: "ویلای A" }), 4);
    expect(merged.draft).toEqual(at({ title_fa: "ویلای A", price: "200" }));
    expect(merged.conflicts).toEqual([]);
    expect(merged.taken).toEqual(["title_fa"]);
    expect(changes(merged)).toEqual({ price: "200" });
    expect(merged.version).toBe(4);
  });

  it("a field both changed differently is a conflict, and saving waits for a choice", () => {
    const b = edit(start(v1, 3), { title_fa: "عنوان B", price: "200" });
    const merged = merge(b, at({ title_fa: "عنوان A" }), 4);
    expect(merged.conflicts).toEqual([{ field: "title_fa", theirs: "عنوان A", mine: "عنوان B" }]);
    expect(merged.draft.title_fa).toBe("عنوان B");
    expect(resolved(merged)).toBe(false);

    const theirs = choose(merged, "title_fa", "theirs");
    expect(resolved(theirs)).toBe(true);
    expect(changes(theirs)).toEqual({ price: "200" });

    const mine = choose(theirs, "title_fa", "mine");
    expect(changes(mine)).toEqual({ title_fa: "عنوان B", price: "200" });
  });

  it("both making the same change is no conflict", () => {
    const merged = merge(edit(start(v1, 3), { price: "200" }), at({ price: "200" }), 4);
    expect(merged.conflicts).toEqual([]);
    expect(changes(merged)).toEqual({});
  });

  it("typing into a conflicting field is choosing one's own value", () => {
    const merged = merge(edit(start(v1, 3), { city_fa: "شیراز" }), at({ city_fa: "اصفهان" }), 4);
    const typed = edit(merged, { city_fa: "شیراز ۲" });
    expect(typed.conflicts).toEqual([{ field: "city_fa", theirs: "اصفهان", mine: "شیراز ۲", choice: "mine" }]);
    expect(resolved(typed)).toBe(true);
  });

  it("an open conflict follows later versions: a choice stands until their value changes again", () => {
    const merged = merge(edit(start(v1, 3), { title_fa: "B" }), at({ title_fa: "A" }), 4);
    const chosen = choose(merged, "title_fa", "mine");
    // A write to another field: the choice against "A" stands.
    const later = merge(chosen, at({ title_fa: "A", featured: true }), 5);
    expect(later.conflicts).toEqual([{ field: "title_fa", theirs: "A", mine: "B", choice: "mine" }]);
    expect(later.draft.featured).toBe(true);
    // Their title changes again: the editor is asked again.
    const again = merge(later, at({ title_fa: "A2", featured: true }), 6);
    expect(again.conflicts).toEqual([{ field: "title_fa", theirs: "A2", mine: "B" }]);
    expect(resolved(again)).toBe(false);
    // Having chosen theirs, the field follows the server like an untouched one.
    const gaveUp = merge(choose(again, "title_fa", "theirs"), at({ title_fa: "A3", featured: true }), 7);
    expect(gaveUp.conflicts).toEqual([]);
    expect(gaveUp.draft.title_fa).toBe("A3");
  });

  it("an undecided conflict stays while their value stays", () => {
    const merged = merge(edit(start(v1, 3), { title_fa: "B" }), at({ title_fa: "A" }), 4);
    const later = merge(merged, at({ title_fa: "A", price: "300.00" }), 5);
    expect(later.conflicts).toEqual([{ field: "title_fa", theirs: "A", mine: "B" }]);
    expect(later.draft.price).toBe("300.00");
  });

  it("an older or the same version changes nothing (a refetch answering after a save)", () => {
    const state = edit(start(v1, 5), { price: "200" });
    expect(merge(state, at({ title_fa: "old" }), 4)).toBe(state);
    expect(merge(state, at({ title_fa: "old" }), 5)).toBe(state);
  });

  it("a save's answer is the new base; fields typed into during the save are kept", () => {
    const state = edit(start(v1, 3), { price: "200" });
    const submitted = state.draft;
    const typing = edit(state, { city_fa: "کرج" });
    const after = saved(typing, submitted, at({ price: "200.00" }), 4);
    expect(after.version).toBe(4);
    expect(after.draft).toEqual(at({ price: "200.00", city_fa: "کرج" }));
    expect(changes(after)).toEqual({ city_fa: "کرج" });
    // A newer version already merged: the late answer is ignored.
    const newer = merge(state, at({ title_fa: "A", price: "200.00" }), 6);
    expect(saved(newer, submitted, at({ price: "200.00" }), 4)).toEqual(newer);
  });

  // The write's own version, read by the refetch that follows it before its answer arrives:
  // the server stored "200.00" for the "200" sent, which is no one else's change.
  it("a version read while a save is in flight waits for the save's answer", () => {
    const state = sending(edit(start(v1, 3), { price: "200" }));
    const submitted = state.draft;
    const early = merge(state, at({ price: "200.00" }), 4);
    expect(early).toBe(state);
    const after = saved(early, submitted, at({ price: "200.00" }), 4);
    expect(after.conflicts).toEqual([]);
    expect(after.draft.price).toBe("200.00");
    expect(after.saving).toBe(false);
    // A save that failed (a field error) lets the waiting versions in again.
    const retry = failed(sending(edit(after, { price: "x" })));
    expect(merge(retry, at({ price: "300.00" }), 5).conflicts.map((c) => c.field)).toEqual(["price"]);
  });

  it("a 412 merges the object as it is now and says the save was refused", () => {
    const state = edit(start(v1, 3), { title_fa: "B", price: "200" });
    const after = refused(state, at({ title_fa: "A", city_fa: "قم" }), 4);
    expect(after.refused).toBe(true);
    expect(after.version).toBe(4);
    expect(after.draft.city_fa).toBe("قم");
    expect(after.conflicts.map((c) => c.field)).toEqual(["title_fa"]);
    expect(saved(choose(after, "title_fa", "mine"), after.draft, after.draft, 5).refused).toBe(false);
  });

  it("giving up one's only change leaves nothing to send, and settling clears the notices", () => {
    const after = choose(refused(edit(start(v1, 3), { title_fa: "B" }), at({ title_fa: "A" }), 4), "title_fa", "theirs");
    expect(changes(after)).toEqual({});
    const done = settled(after);
    expect([done.conflicts, done.taken, done.refused]).toEqual([[], [], false]);
    expect(done.draft).toEqual(at({ title_fa: "A" }));
  });

  it("compares arrays by their items, in order", () => {
    expect(equal(["1", "2"], ["1", "2"])).toBe(true);
    expect(equal(["1", "2"], ["2", "1"])).toBe(false);
    expect(equal(null, "")).toBe(false);
    expect(equal(0, 0)).toBe(true);
  });
});
