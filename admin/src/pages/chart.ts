// The cache dashboard's hit-ratio chart, as numbers: where each point of a namespace's series
// goes on the plot, and the summary a screen reader hears instead of the picture.
import type { components } from "../api/schema";

export type SeriesPoint = components["schemas"]["SeriesPoint"];

export interface Plot {
  width: number;
  height: number;
  /** Persian: time runs leftwards, as the text does. */
  rtl: boolean;
}

export interface Dot {
  x: number;
  y: number;
  point: SeriesPoint;
}

/** The series' measured points on a `width × height` plot of the `spanSeconds` that end at its
 * last point: the oldest at the reading start, now at the reading end, ratio 1 at the top. An
 * interval in which nothing was read has no ratio: the line breaks there, so the result is the
 * runs of consecutive measured points. The last point's time is the server's "now", so the
 * browser's clock plays no part. Points older than the span are left out. */
export function plotSeries(series: readonly SeriesPoint[], spanSeconds: number, plot: Plot): Dot[][] {
  const last = series.at(-1);
  if (last === undefined || spanSeconds <= 0) return [];
  const end = Date.parse(last.at);
  const runs: Dot[][] = [];
  let run: Dot[] = [];
  for (const point of series) {
    const age = (end - Date.parse(point.at)) / 1000;
    const ratio = point.hit_ratio;
    if (ratio === null || ratio === undefined || age > spanSeconds || Number.isNaN(age)) {
      if (run.length > 0) runs.push(run);
      run = [];
      continue;
    }
    const along = (1 - age / spanSeconds) * plot.width;
    run.push({
      x: plot.rtl ? plot.width - along : along,
      y: (1 - Math.min(1, Math.max(0, ratio))) * plot.height,
      point,
    });
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

export interface Summary {
  /** The last interval with reads; null when nothing was read in the window. */
  latest: number | null;
  min: number | null;
  max: number | null;
  hits: number;
  misses: number;
}

export function summarize(series: readonly SeriesPoint[]): Summary {
  const ratios = series.flatMap((p) => (p.hit_ratio === null || p.hit_ratio === undefined ? [] : [p.hit_ratio]));
  return {
    latest: ratios.at(-1) ?? null,
    min: ratios.length > 0 ? Math.min(...ratios) : null,
    max: ratios.length > 0 ? Math.max(...ratios) : null,
    hits: series.reduce((sum, p) => sum + p.hits, 0),
    misses: series.reduce((sum, p) => sum + p.misses, 0),
  };
}
