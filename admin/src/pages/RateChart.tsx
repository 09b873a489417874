// One rate of a cache over the dashboard's 15 minutes, hand-drawn in SVG with labelled axes:
// the value up the side where reading starts, minutes ago along the bottom (time runs in the
// reading direction: now is at the reading end). The summary is the image's accessible name,
// each point has a <title> for a pointer; the numbers are also in a table (CacheNumbers).
import { Text } from "@mantine/core";

import { formatClock, formatNumber, formatPercent, formatRate } from "../format";
import { useI18n } from "../i18n";
import { type WindowPoint, niceMax, plotLine, xOf } from "./chart";

const WIDTH = 320;
const HEIGHT = 110;
/** Room for the value labels (on the reading-start side) and the minute labels (below). */
const SIDE = 34;
const BOTTOM = 16;
const TOP = 6;
const GAP = 6;
const PLOT = { width: WIDTH - SIDE - GAP, height: HEIGHT - TOP - BOTTOM };

export type Measure = "share" | "rate";

interface Props {
  /** The value axis' title, with its unit. */
  title: string;
  /** What the chart is of (a namespace, the page cache), for its accessible name. */
  subject: string;
  points: readonly WindowPoint[];
  measure: Measure;
  spanSeconds: number;
}

export function RateChart({ title, subject, points, measure, spanSeconds }: Props) {
  const { t, lang, dir } = useI18n();
  const rtl = dir === "rtl";
  const value = measure === "share" ? (p: WindowPoint) => p.ratio : (p: WindowPoint) => p.perSecond;
  const top = measure === "share" ? 1 : niceMax(Math.max(0, ...points.map((p) => p.perSecond)));
  const read = (v: number | null | undefined) => (measure === "share" ? formatPercent(v, lang) : v === null || v === undefined ? "—" : formatRate(v, lang));
  const runs = plotLine(points, value, spanSeconds, top, { ...PLOT, rtl });
  // The plot sits after the value labels in the reading direction.
  const left = rtl ? GAP : SIDE;
  const labelX = rtl ? WIDTH - SIDE + 4 : SIDE - 4;
  const latest = points.findLast((p) => value(p) !== null);
  const label = `${title}${t("comma")}${subject}${t("comma")}${latest === undefined ? t("nothingRead") : `${t("now")} ${read(value(latest))}`}`;
  const minutes = [15, 10, 5, 0].filter((m) => m * 60 <= spanSeconds);
  return (
    <figure className="admin-chart-figure">
      <Text component="figcaption" size="xs" fw={500}>
        {title}
      </Text>
      <svg className="admin-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} data-testid={`chart-${measure}`}>
        <g transform={`translate(${left} ${TOP})`}>
          <rect className="admin-chart-frame" x={0} y={0} width={PLOT.width} height={PLOT.height} />
          {[0.5, 0].map((at) => (
            <line key={at} className="admin-chart-grid" x1={0} x2={PLOT.width} y1={at * PLOT.height} y2={at * PLOT.height} />
          ))}
          {runs.map((run) => (
            <g key={run[0]?.point.at}>
              {run.length > 1 && <polyline className="admin-chart-line" points={run.map((d) => `${d.x},${d.y}`).join(" ")} />}
              {run.map((d) => (
                <circle key={d.point.at} className="admin-chart-dot" cx={d.x} cy={d.y} r={2}>
                  <title>{`${formatClock(new Date(d.point.at).toISOString(), lang)}: ${read(value(d.point))}`}</title>
                </circle>
              ))}
            </g>
          ))}
          {minutes.map((m) => (
            <text key={m} className="admin-chart-tick" x={xOf(m * 60, spanSeconds, { ...PLOT, rtl })} y={PLOT.height + BOTTOM - 3} textAnchor="middle">
              {m === 0 ? t("now") : formatNumber(m, lang)}
            </text>
          ))}
        </g>
        {[1, 0.5, 0].map((share) => (
          <text key={share} className="admin-chart-tick" x={labelX} y={TOP + (1 - share) * PLOT.height + 3} textAnchor={rtl ? "start" : "end"}>
            {read(share * top)}
          </text>
        ))}
      </svg>
      <Text size="xs" c="gray.7" ta="center" aria-hidden="true">
        {t("minutesAgo")}
      </Text>
    </figure>
  );
}
