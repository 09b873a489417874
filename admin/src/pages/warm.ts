// The cache warm's progress as the dashboard shows it, from the server's job state.
import type { components } from "../api/schema";

type WarmState = components["schemas"]["WarmState"];

export type WarmPhase = "idle" | "running" | "done";

export interface WarmProgress {
  phase: WarmPhase;
  done: number;
  total: number;
  failed: number;
  /** 0 to 100, whole. */
  percent: number;
}

/** How often the dashboard asks while a warm runs. */
export const WARM_POLL_MS = 1000;

function phaseOf(state: string | undefined): WarmPhase {
  return state === "running" || state === "done" ? state : "idle";
}

export function warmProgress(state: WarmState | undefined): WarmProgress {
  const phase = phaseOf(state?.state);
  const done = state?.done ?? 0;
  const total = state?.total ?? 0;
  // A finished warm with nothing to load is complete, not 0 %.
  const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : phase === "done" ? 100 : 0;
  return { phase, done, total, failed: state?.failed ?? 0, percent };
}

/** Poll while the job runs; stop once it is done (or was never started). */
export function warmPollInterval(state: WarmState | undefined): number | false {
  return phaseOf(state?.state) === "running" ? WARM_POLL_MS : false;
}
