// The one way an admin edit form holds its draft (properties, terms, users): the rules of
// versioned.ts over the live detail query. The form passes the query's current data; each newer
// version it brings (another tab's write announced over the BroadcastChannel, a refetch on
// focus or every 30 s, see WHILE_EDITING) is merged into the draft, and a save sends only the
// changed fields with If-Match, then takes the answer or, on a 412, the object as it is now.
import { useState } from "react";

import { ApiError } from "../api/client";
import { focusConflict } from "./Conflicts";
import { type Conflict, type Field, type Values, changes, choose, edit, failed, merge, refused, resolved, saved, sending, settled, start } from "./versioned";

/** A form shows its own errors but not a 412's: the conflict panel says what happened. */
export function unlessConflict(error: Error | null): Error | null {
  return error instanceof ApiError && error.isConflict ? null : error;
}

export interface Submission<T, V extends Values> {
  /** The fields the editor changed (never none); a PATCH sends these only. */
  changes: Partial<V>;
  /** The version they were made against, for If-Match (undefined: none known). */
  ifMatch: number | undefined;
  /** The mutation's callbacks: the answer becomes the new base; a 412 is merged. */
  callbacks: { onSuccess: (row: T) => void; onError: (error: Error) => void };
}

export interface VersionedForm<T, V extends Values> {
  values: V;
  set: (patch: Partial<V>) => void;
  conflicts: readonly Conflict<V>[];
  choose: (field: Field<V>, choice: "theirs" | "mine") => void;
  /** Fields a merge changed while the editor had changes of their own. */
  taken: readonly Field<V>[];
  /** The last save was refused with 412. */
  refused: boolean;
  /** Saves through `send`; while a conflict awaits a choice, moves the focus to it instead,
   * and with nothing changed sends nothing (`unchanged` runs). */
  save: (send: (submission: Submission<T, V>) => void, unchanged?: () => void) => void;
}

/** `row` is the detail query's data (undefined for a new object); `valuesOf` reads the form's
 * values from it (and the empty form from undefined). */
export function useVersionedForm<T extends { version: number }, V extends Values>(row: T | undefined, valuesOf: (row: T | undefined) => V): VersionedForm<T, V> {
  const [state, setState] = useState(() => start(valuesOf(row), row?.version ?? null));
  // A newer version than the draft's: merged while rendering (React's "adjust state when a
  // prop changes"), so the form never shows a frame of the old values under the new heading.
  if (row !== undefined && !state.saving && (state.version === null || row.version > state.version)) {
    setState(merge(state, valuesOf(row), row.version));
  }
  return {
    values: state.draft,
    set: (patch) => setState((s) => edit(s, patch)),
    conflicts: state.conflicts,
    choose: (field, choice) => setState((s) => choose(s, field, choice)),
    taken: state.taken,
    refused: state.refused,
    save: (send, unchanged) => {
      if (!resolved(state)) {
        focusConflict();
        return;
      }
      const changed = changes(state);
      if (Object.keys(changed).length === 0) {
        setState(settled);
        unchanged?.();
        return;
      }
      const submitted = state.draft;
      setState(sending);
      send({
        changes: changed,
        ifMatch: state.version ?? undefined,
        callbacks: {
          onSuccess: (answer) => setState((s) => saved(s, submitted, valuesOf(answer), answer.version)),
          onError: (error) => {
            // The server's contract: a 412's body is the object as a GET returns it now.
            const now = error instanceof ApiError && error.isConflict && typeof error.body === "object" && error.body !== null ? (error.body as T) : null;
            if (now !== null) setState((s) => refused(s, valuesOf(now), now.version));
            else setState(failed);
          },
        },
      });
    },
  };
}
