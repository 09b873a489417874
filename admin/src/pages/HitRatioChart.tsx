// One namespace's hit ratio over the dashboard's window, hand-drawn in SVG: time runs in the
// reading direction (plotSeries), the summary is the image's accessible name, each point has a
// <title> for a pointer, and every number is in a table under a disclosure.
import { Group, Table, Text } from "@mantine/core";

import { formatClock, formatNumber, formatPercent } from "../format";
import { useI18n } from "../i18n";
import { type SeriesPoint, plotSeries, summarize } from "./chart";

const WIDTH = 300;
const HEIGHT = 80;

interface Props {
  namespace: string;
  series: readonly SeriesPoint[];
  spanSeconds: number;
}

export function HitRatioChart({ namespace, series, spanSeconds }: Props) {
  const { t, lang, dir } = useI18n();
  const runs = plotSeries(series, spanSeconds, { width: WIDTH, height: HEIGHT, rtl: dir === "rtl" });
  const summary = summarize(series);
  const percent = (ratio: number | null | undefined) => formatPercent(ratio, lang);
  const minutes = formatNumber(Math.round(spanSeconds / 60), lang);
  const label =
    summary.latest === null
      ? `${t("hitRatio")} ${namespace}${t("comma")}${t("nothingRead")}`
      : [
          `${t("hitRatio")} ${namespace}`,
          `${t("latest")} ${percent(summary.latest)}`,
          `${t("lowest")} ${percent(summary.min)}`,
          `${t("highest")} ${percent(summary.max)}`,
          `${t("hits")} ${formatNumber(summary.hits, lang)}`,
          `${t("misses")} ${formatNumber(summary.misses, lang)}`,
        ].join(t("comma"));
  const pointTitle = (p: SeriesPoint) => `${formatClock(p.at, lang)}: ${percent(p.hit_ratio)} (${t("hits")} ${formatNumber(p.hits, lang)}${t("comma")}${t("misses")} ${formatNumber(p.misses, lang)})`;
  return (
    <div>
      <svg className="admin-chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={label} data-testid="hit-ratio-chart">
        <rect className="admin-chart-frame" x={0} y={0} width={WIDTH} height={HEIGHT} />
        <line className="admin-chart-grid" x1={0} x2={WIDTH} y1={HEIGHT / 2} y2={HEIGHT / 2} />
        {runs.map((run) => (
          <g key={run[0]?.point.at}>
            {run.length > 1 && <polyline className="admin-chart-line" points={run.map((d) => `${d.x},${d.y}`).join(" ")} />}
            {run.map((d) => (
              <circle key={d.point.at} className="admin-chart-dot" cx={d.x} cy={d.y} r={2.5}>
                <title>{pointTitle(d.point)}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      {/* Flex follows the text direction: "ago" sits where the line starts. */}
      <Group justify="space-between" aria-hidden="true">
        <Text size="xs" c="gray.7">
          {minutes} {t("minutesAgo")}
        </Text>
        {summary.latest === null && (
          <Text size="xs" c="gray.7">
            {t("nothingRead")}
          </Text>
        )}
        <Text size="xs" c="gray.7">
          {t("now")}
        </Text>
      </Group>
      {series.length > 0 && (
        <details className="admin-chart-numbers">
          <summary>{t("numbers")}</summary>
          <Table fz="xs" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("time")}</Table.Th>
                <Table.Th className="admin-table-cell-number">{t("hits")}</Table.Th>
                <Table.Th className="admin-table-cell-number">{t("misses")}</Table.Th>
                <Table.Th className="admin-table-cell-number">{t("bypasses")}</Table.Th>
                <Table.Th className="admin-table-cell-number">{t("hitRatio")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {series.map((p) => (
                <Table.Tr key={p.at}>
                  <Table.Td>{formatClock(p.at, lang)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{formatNumber(p.hits, lang)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{formatNumber(p.misses, lang)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{formatNumber(p.bypasses, lang)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{percent(p.hit_ratio)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </details>
      )}
    </div>
  );
}
