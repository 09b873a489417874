import { describe, expect, it } from "vitest";

import { type Interval, type SeriesPoint, type WindowPoint, appendSample, intervalsOfSamples, intervalsOfSeries, niceMax, plotLine, rolling } from "./chart";

const END = Date.parse("2026-11-27T12:15:00Z");

/** A 10 s interval `ago` seconds before the end. */
function interval(ago: number, hits: number, misses: number, bypasses = 0): Interval {
  return { end: END - ago * 1000, seconds: 10, hits, misses, bypasses };
}

describe("rates over a rolling window", () => {
  it("smooth the 0 / 100 % swings of single intervals into the window's share", () => {
    // Alternating intervals of one hit and one miss: 100 %, 0 %, 100 %… each on its own.
    const intervals = [60, 50, 40, 30, 20, 10, 0].map((ago, i) => interval(ago, i % 2 === 0 ? 1 : 0, i % 2 === 0 ? 0 : 1));
    const points = rolling(intervals, 60);
    // The last window holds the last six intervals: three hits, three misses.
    expect(points.at(-1)).toMatchObject({ hits: 3, misses: 3, ratio: 0.5 });
    expect(points.at(-1)?.perSecond).toBeCloseTo(6 / 60);
  });

  it("count bypasses in the rate but not in the share, and nothing asked as no share", () => {
    const [point] = rolling([interval(0, 0, 0, 5)], 60);
    expect(point).toMatchObject({ ratio: null, perSecond: 0.5 });
  });

  it("read the server's series as intervals", () => {
    const series: SeriesPoint[] = [{ at: new Date(END).toISOString(), hits: 3, misses: 1, bypasses: 0, hit_ratio: 0.75 }];
    expect(intervalsOfSeries(series, 10)).toEqual([{ end: END, seconds: 10, hits: 3, misses: 1, bypasses: 0 }]);
  });
});

describe("the page cache's polls", () => {
  const sample = (ago: number, hits: number, misses: number, since = "a") => ({ at: END - ago * 1000, since, hits, misses });

  it("become intervals from one poll's totals to the next", () => {
    expect(intervalsOfSamples([sample(10, 5, 1), sample(5, 9, 2)])).toEqual([{ end: END - 5000, seconds: 5, hits: 4, misses: 1, bypasses: 0 }]);
  });

  it("never mix two instances or two runs of one", () => {
    expect(intervalsOfSamples([sample(10, 5, 1, "a"), sample(5, 50, 20, "b"), sample(0, 51, 20, "b")])).toHaveLength(1);
    expect(intervalsOfSamples([sample(10, 5, 1), sample(5, 2, 0)])).toEqual([]);
  });

  it("are kept for the chart's span, each once", () => {
    let kept = appendSample([], sample(1000, 1, 1), 900_000);
    kept = appendSample(kept, sample(1000, 1, 1), 900_000);
    expect(kept).toHaveLength(1);
    kept = appendSample(kept, sample(0, 2, 1), 900_000);
    expect(kept.map((s) => s.at)).toEqual([END]);
  });
});

describe("the chart's points", () => {
  const point = (ago: number, ratio: number | null): WindowPoint => ({ at: END - ago * 1000, hits: 0, misses: 0, bypasses: 0, ratio, perSecond: 0 });
  const PLOT = { width: 900, height: 100, rtl: false };
  const ratio = (p: WindowPoint) => p.ratio;

  it("put time along the reading direction: the oldest at the start, now at the end", () => {
    const points = [point(900, 0), point(450, 0.5), point(0, 1)];
    const xy = (rtl: boolean) => plotLine(points, ratio, 900, 1, { ...PLOT, rtl }).flat().map(({ x, y }) => [x, y]);
    expect(xy(false)).toEqual([
      [0, 100],
      [450, 50],
      [900, 0],
    ]);
    // Persian reads right to left: now is at the left edge, the value axis is unchanged.
    expect(xy(true)).toEqual([
      [900, 100],
      [450, 50],
      [0, 0],
    ]);
  });

  it("break the line where there is no value, and leave out what is older than the span", () => {
    const points = [point(1000, 1), point(30, 0.2), point(20, null), point(10, 0.4), point(0, 0.6)];
    expect(plotLine(points, ratio, 900, 1, PLOT).map((run) => run.map((dot) => dot.point.ratio))).toEqual([[0.2], [0.4, 0.6]]);
  });

  it("scale to the axis' top and have nothing to draw without points", () => {
    expect(plotLine([point(0, 0.5)], (p) => (p.ratio ?? 0) * 4, 900, 4, PLOT).flat().map((dot) => dot.y)).toEqual([50]);
    expect(plotLine([], ratio, 900, 1, PLOT)).toEqual([]);
  });

  it("top a rate axis at 1, 2 or 5 times a power of ten", () => {
    expect([0, 0.3, 0.2, 3, 7, 10, 42].map(niceMax)).toEqual([1, 0.5, 0.2, 5, 10, 10, 50]);
  });
});
