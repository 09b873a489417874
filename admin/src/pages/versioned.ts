// An edit form's draft against the server's versions of its object (issue 20: two editors must
// never silently overwrite each other). The form keeps the values it started from (`base`) and
// their version; a save sends only the fields the editor changed, with that version in
// If-Match. When a newer version arrives (another tab's write, a refetch on focus or every 30 s,
// a 412's body), it is merged field by field:
// - a field the editor has not touched takes the new value;
// - a field only the editor changed keeps the editor's value;
// - a field both changed, to different values, is a conflict: the form shows theirs and mine,
//   and saving waits until the editor has chosen one for each.
// Pure functions, so that the rules are tested without a browser (versioned.test.ts).

/** What a form field holds. Arrays are ordered: a form that means a set keeps it sorted. */
export type FieldValue = string | number | boolean | null | readonly (string | number)[];
export type Values = Readonly<Record<string, FieldValue>>;
export type Field<V extends Values> = keyof V & string;

export interface Conflict<V extends Values> {
  field: Field<V>;
  /** The server's value now. */
  theirs: V[Field<V>];
  /** The editor's value (kept even while "theirs" is chosen, to switch back). */
  mine: V[Field<V>];
  /** Undefined until the editor chooses; saving waits for it. */
  choice?: "theirs" | "mine";
}

export interface Versioned<V extends Values> {
  /** The server's values the draft is compared with. */
  base: V;
  /** `base`'s version; null for an object not created yet. */
  version: number | null;
  /** What the form shows. */
  draft: V;
  conflicts: readonly Conflict<V>[];
  /** Fields a merge changed under an editor who had changes of their own: the form says so. */
  taken: readonly Field<V>[];
  /** The last save was refused (412): the object changed since the version it was made from. */
  refused: boolean;
  /** A save is in flight: newer versions wait for its answer. The version a successful write
   * makes can be read (a refetch after the write) before its answer arrives, and the server's
   * normalised values ("12" stored as "12.00") would look like someone else's change. */
  saving: boolean;
}

export function isList(value: FieldValue | undefined): value is readonly (string | number)[] {
  return Array.isArray(value);
}

export function equal(a: FieldValue | undefined, b: FieldValue | undefined): boolean {
  if (isList(a) && isList(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}

function fields<V extends Values>(values: V): Field<V>[] {
  return Object.keys(values);
}

export function start<V extends Values>(values: V, version: number | null): Versioned<V> {
  return { base: values, version, draft: values, conflicts: [], taken: [], refused: false, saving: false };
}

/** The fields whose draft differs from the base: what a PATCH sends. */
export function changedFields<V extends Values>(state: Versioned<V>): Field<V>[] {
  return fields(state.base).filter((field) => !equal(state.draft[field], state.base[field]));
}

export function changes<V extends Values>(state: Versioned<V>): Partial<V> {
  const out: Partial<V> = {};
  for (const field of changedFields(state)) out[field] = state.draft[field];
  return out;
}

/** The editor types: a conflicting field typed into is the editor's choice of their own value. */
export function edit<V extends Values>(state: Versioned<V>, patch: Partial<V>): Versioned<V> {
  const draft = { ...state.draft, ...patch };
  const conflicts = state.conflicts.map((c) => (c.field in patch ? { ...c, mine: draft[c.field], choice: "mine" as const } : c));
  return { ...state, draft, conflicts };
}

/** Merges the server's `values` at `version` into the draft (see the top of the file). An
 * older or the same version changes nothing: a refetch that left before a save answers after it. */
export function merge<V extends Values>(state: Versioned<V>, values: V, version: number): Versioned<V> {
  if (state.saving || (state.version !== null && version <= state.version)) return state;
  const draft: Record<string, FieldValue | undefined> = { ...state.draft };
  const conflicts: Conflict<V>[] = [];
  const taken: Field<V>[] = [];
  const touched = changedFields(state).length > 0;
  for (const field of fields(values)) {
    const theirs = values[field];
    const before = state.base[field];
    const open = state.conflicts.find((c) => c.field === field);
    // An open conflict resolved to "theirs" is the editor giving up their value: not a change.
    const mine = open?.choice === "theirs" ? before : state.draft[field];
    if (equal(mine, before)) {
      if (!equal(state.draft[field], theirs)) {
        draft[field] = theirs;
        if (touched) taken.push(field);
      }
    } else if (!equal(mine, theirs) && (open !== undefined || !equal(before, theirs))) {
      // Both changed it, differently (or it was already in conflict): the editor decides. A
      // choice already made stands while their value stays the one it was made against.
      const choice = open !== undefined && equal(open.theirs, theirs) ? open.choice : undefined;
      draft[field] = choice === "theirs" ? theirs : mine;
      conflicts.push({ field, theirs, mine, ...(choice ? { choice } : {}) });
    }
    // Otherwise only the editor changed it, or both to the same value: the draft stands.
  }
  return { ...state, base: values, version, draft: draft as V, conflicts, taken: [...new Set([...state.taken, ...taken])] };
}

/** The editor picks a side of a conflict; the draft shows it. */
export function choose<V extends Values>(state: Versioned<V>, field: Field<V>, choice: "theirs" | "mine"): Versioned<V> {
  const conflict = state.conflicts.find((c) => c.field === field);
  if (conflict === undefined) return state;
  return {
    ...state,
    draft: { ...state.draft, [field]: choice === "theirs" ? conflict.theirs : conflict.mine },
    conflicts: state.conflicts.map((c) => (c === conflict ? { ...c, choice } : c)),
  };
}

/** Every conflict has a choice: the draft may be saved. */
export function resolved<V extends Values>(state: Versioned<V>): boolean {
  return state.conflicts.every((c) => c.choice !== undefined);
}

/** A save of `submitted` answered with the object at `version`: it is the new base, and the
 * fields the editor did not touch again while it was in flight show what the server stored
 * (its normalised form: "12" comes back "12.00"). */
export function saved<V extends Values>(state: Versioned<V>, submitted: V, values: V, version: number | null): Versioned<V> {
  // A newer version was merged meanwhile: that merge already judged the draft against it.
  if (version !== null && state.version !== null && version <= state.version) return { ...state, saving: false };
  const draft: Record<string, FieldValue | undefined> = { ...state.draft };
  for (const field of fields(values)) if (equal(state.draft[field], submitted[field])) draft[field] = values[field];
  return { base: values, version, draft: draft as V, conflicts: [], taken: [], refused: false, saving: false };
}

/** A save was refused with 412 and the object as it is now: merged as any newer version is. */
export function refused<V extends Values>(state: Versioned<V>, values: V, version: number): Versioned<V> {
  return { ...merge({ ...state, saving: false }, values, version), refused: true };
}

/** A save is sent: merges wait for its answer (`saved`, `refused` or `failed`). */
export function sending<V extends Values>(state: Versioned<V>): Versioned<V> {
  return { ...state, saving: true };
}

/** A save failed otherwise (a field error, no connection): the draft stands as it was. */
export function failed<V extends Values>(state: Versioned<V>): Versioned<V> {
  return { ...state, saving: false };
}

/** A save with nothing to send (every conflict resolved to their value): the notices go. */
export function settled<V extends Values>(state: Versioned<V>): Versioned<V> {
  return { ...state, conflicts: [], taken: [], refused: false };
}
