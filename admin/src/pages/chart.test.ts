import { describe, expect, it } from "vitest";

import { type SeriesPoint, plotSeries, summarize } from "./chart";

const END = Date.parse("2026-11-27T12:15:00Z");

/** A point `ago` seconds before the end, with this ratio (null: nothing read). */
function at(ago: number, ratio: number | null): SeriesPoint {
  const reads = ratio === null ? { hits: 0, misses: 0 } : { hits: Math.round(ratio * 10), misses: 10 - Math.round(ratio * 10) };
  return { at: new Date(END - ago * 1000).toISOString(), ...reads, bypasses: 0, hit_ratio: ratio };
}

const PLOT = { width: 900, height: 100, rtl: false };

describe("the hit-ratio chart's points", () => {
  it("put time along the reading direction: the oldest at the start, now at the end", () => {
    const series = [at(900, 0), at(450, 0.5), at(0, 1)];
    const xy = (rtl: boolean) => plotSeries(series, 900, { ...PLOT, rtl }).flat().map(({ x, y }) => [x, y]);
    expect(xy(false)).toEqual([
      [0, 100],
      [450, 50],
      [900, 0],
    ]);
    // Persian reads right to left: now is at the left edge, the ratio axis is unchanged.
    expect(xy(true)).toEqual([
      [900, 100],
      [450, 50],
      [0, 0],
    ]);
  });

  it("break the line where nothing was read, and leave out what is older than the span", () => {
    const series = [at(1000, 1), at(30, 0.2), at(20, null), at(10, 0.4), at(0, 0.6)];
    const runs = plotSeries(series, 900, PLOT);
    expect(runs.map((run) => run.map((dot) => dot.point.hit_ratio))).toEqual([[0.2], [0.4, 0.6]]);
  });

  it("measure time from the series' last point, not the browser's clock", () => {
    expect(plotSeries([at(0, 0.5)], 900, PLOT).flat().map((dot) => dot.x)).toEqual([900]);
  });

  it("have nothing to draw for an empty series", () => {
    expect(plotSeries([], 900, PLOT)).toEqual([]);
    expect(summarize([])).toEqual({ latest: null, min: null, max: null, hits: 0, misses: 0 });
  });

  it("summarize the window for the chart's label", () => {
    expect(summarize([at(30, 0.2), at(20, 0.9), at(10, 0.5), at(0, null)])).toEqual({ latest: 0.5, min: 0.2, max: 0.9, hits: 16, misses: 14 });
  });
});
