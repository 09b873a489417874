// The cache dashboard's charts, as numbers: rates over a rolling window, whatever the counts
// come from — the server's 10 s intervals of a data-cache namespace, or the differences between
// two polls of the HTML page cache's totals — and where each point goes on a chart with axes.
// Per 10 s interval, a namespace read a few times swings between 0 and 100 %; over a minute
// the share and the rate read as trends.
import type { components } from "../api/schema";

export type SeriesPoint = components["schemas"]["SeriesPoint"];

/** What happened in one stretch of time (ms since the epoch, on the server's clock). */
export interface Interval {
  end: number;
  seconds: number;
  /** Answered from the cache. */
  hits: number;
  /** Loaded (from the database, or rendered) and then cached. */
  misses: number;
  /** Answered without the cache. */
  bypasses: number;
}

/** A namespace's server series (each point the interval that ends at it) as intervals. */
export function intervalsOfSeries(series: readonly SeriesPoint[], seconds: number): Interval[] {
  return series.map((p) => ({ end: Date.parse(p.at), seconds, hits: p.hits, misses: p.misses, bypasses: p.bypasses }));
}

/** One poll of a cache's totals since `since` (its start: totals compare only within one). */
export interface Sample {
  at: number;
  since: string;
  hits: number;
  misses: number;
}

/** `samples` with `sample` added — unless it is the last one again — and those more than
 * `keepMs` older than it left out. */
export function appendSample(samples: readonly Sample[], sample: Sample, keepMs: number): Sample[] {
  const last = samples.at(-1);
  if (last !== undefined && last.at === sample.at && last.since === sample.since) return [...samples];
  return [...samples, sample].filter((s) => sample.at - s.at <= keepMs);
}

/** The differences between consecutive samples of one run of the cache. A pair across a restart
 * or another instance (behind a load balancer: `since` differs, or a total went down) is no
 * interval, so a point never mixes two instances' counts. */
export function intervalsOfSamples(samples: readonly Sample[]): Interval[] {
  const intervals: Interval[] = [];
  for (let i = 1; i < samples.length; i += 1) {
    const [before, after] = [samples[i - 1], samples[i]];
    if (before === undefined || after === undefined || before.since !== after.since) continue;
    const [hits, misses] = [after.hits - before.hits, after.misses - before.misses];
    const seconds = (after.at - before.at) / 1000;
    if (hits < 0 || misses < 0 || seconds <= 0) continue;
    intervals.push({ end: after.at, seconds, hits, misses, bypasses: 0 });
  }
  return intervals;
}

/** The window that ends at one interval's end. */
export interface WindowPoint {
  at: number;
  hits: number;
  misses: number;
  bypasses: number;
  /** hits / (hits + misses); null when nothing asked the cache. */
  ratio: number | null;
  /** Every request (bypasses too) per second. */
  perSecond: number;
}

/** At each interval's end, what the intervals within the `windowSeconds` before it add up to.
 * Seconds no interval covers (a gap between polls) count for nothing, so a gap does not read as
 * a quiet minute. */
export function rolling(intervals: readonly Interval[], windowSeconds: number): WindowPoint[] {
  return intervals.map((last) => {
    const inside = intervals.filter((i) => i.end <= last.end && i.end > last.end - windowSeconds * 1000);
    const sum = (pick: (i: Interval) => number) => inside.reduce((total, i) => total + pick(i), 0);
    const [hits, misses, bypasses, seconds] = [sum((i) => i.hits), sum((i) => i.misses), sum((i) => i.bypasses), sum((i) => i.seconds)];
    return {
      at: last.end,
      hits,
      misses,
      bypasses,
      ratio: hits + misses > 0 ? hits / (hits + misses) : null,
      perSecond: seconds > 0 ? (hits + misses + bypasses) / seconds : 0,
    };
  });
}

/** The smallest of 1, 2, 5 × 10ⁿ at or above `value`: the top of a rate axis (1 when idle). */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5].map((step) => step * power).find((top) => top >= value) ?? 10 * power;
}

/** Where the chart draws, inside its margins. */
export interface Plot {
  width: number;
  height: number;
  /** Persian: time runs leftwards, as the text does. */
  rtl: boolean;
}

export interface Dot {
  x: number;
  y: number;
  point: WindowPoint;
}

/** x of a moment `ageSeconds` before the end: the oldest at the reading start, now at the end. */
export function xOf(ageSeconds: number, spanSeconds: number, plot: Plot): number {
  const along = (1 - ageSeconds / spanSeconds) * plot.width;
  return plot.rtl ? plot.width - along : along;
}

/** The points' `value`s on a plot of the `spanSeconds` that end at the last point (the server's
 * "now", so the browser's clock plays no part), `max` at the top. A point without a value breaks
 * the line, so the result is the runs of consecutive values; points older than the span are
 * left out. */
export function plotLine(points: readonly WindowPoint[], value: (p: WindowPoint) => number | null, spanSeconds: number, max: number, plot: Plot): Dot[][] {
  const last = points.at(-1);
  if (last === undefined || spanSeconds <= 0 || max <= 0) return [];
  const runs: Dot[][] = [];
  let run: Dot[] = [];
  for (const point of points) {
    const age = (last.at - point.at) / 1000;
    const v = value(point);
    if (v === null || age > spanSeconds || Number.isNaN(age)) {
      if (run.length > 0) runs.push(run);
      run = [];
      continue;
    }
    run.push({ x: xOf(age, spanSeconds, plot), y: (1 - Math.min(1, Math.max(0, v / max))) * plot.height, point });
  }
  if (run.length > 0) runs.push(run);
  return runs;
}
