// A failed write as a form shows it: DRF's field errors next to the fields the form has, and
// everything else — `non_field_errors`, `detail`, errors of fields it does not show (a row
// action has none), a network failure — in one alert.
import { ApiError } from "../api/client";

export interface Problems {
  /** The messages for `field`, when the form shows it. */
  field: (name: string) => string | undefined;
  /** What no field shows; null when nothing failed or every message is next to its field. */
  alert: string | null;
  failed: boolean;
}

export function problemsOf(error: Error | null, shown: readonly string[] = []): Problems {
  if (error === null) return { field: () => undefined, alert: null, failed: false };
  if (!(error instanceof ApiError)) return { field: () => undefined, alert: error.message, failed: true };
  const errors = error.fieldErrors;
  const rest = Object.entries(errors)
    .filter(([name]) => !shown.includes(name))
    .flatMap(([, messages]) => messages);
  return {
    field: (name) => (shown.includes(name) ? errors[name]?.join(" ") : undefined),
    // A 4xx without a DRF body still says what happened.
    alert: rest.length > 0 ? rest.join(" ") : Object.keys(errors).length === 0 ? error.message : null,
    failed: true,
  };
}
