// The cache dashboard, for admins, in words agency staff use: where the cache is kept and
// whether it answers, the site's pages served to visitors (the HTML page cache), the purges of
// the CDN's copies of them (CdnPurges.tsx, when a provider is configured), the data kept
// ready per part of the site (a switch each), filling ahead with its progress, and the check of
// the kept data on demand. Numbers are this instance's, refetched every few seconds while open;
// the charts are shares and rates over the minute before each point (chart.ts), with axes.
import { Alert, Badge, Button, Card, Code, Group, List, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { type ReactNode, useState } from "react";

import { useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { formatBytes, formatClock, formatNumber, formatPercent, formatRate } from "../format";
import { type Key, useI18n } from "../i18n";
import { langOf } from "../textLang";
import { type Sample, type WindowPoint, appendSample, intervalsOfSamples, intervalsOfSeries, rolling } from "./chart";
import { CdnPurges } from "./CdnPurges";
import { RateChart } from "./RateChart";
import { Section } from "./Section";
import { QueryState } from "./State";
import { warmPollInterval, warmProgress } from "./warm";

type Flag = components["schemas"]["FlagInput"];
type Audit = components["schemas"]["Audit"];
type Stats = components["schemas"]["CacheStats"];

/** The numbers change every 10 s on the server; asking every 5 s shows each interval soon. */
const STATS_POLL_MS = 5000;
/** Each point of a chart: what the minute before it adds up to. */
const WINDOW_SECONDS = 60;

/** The parts of the site the data cache serves, by namespace (`strata cache flags` names them
 * so: the heading's tooltip says it, for operators). */
const NAMESPACES: Readonly<Record<string, Key>> = {
  "public:property:list": "nsPropertyList",
  "public:property:detail": "nsPropertyDetail",
  "public:taxonomy:category": "nsCategories",
  "public:taxonomy:tag": "nsTags",
  "public:taxonomy:option": "nsOptions",
  "admin:property:list": "nsAdminProperties",
  "admin:category:list": "nsAdminCategories",
  "admin:tag:list": "nsAdminTags",
  "admin:option:list": "nsAdminOptions",
};

const STORES: Readonly<Record<string, Key>> = { memory: "storeMemory", redis: "storeRedis" };

/** A number or state with its name and a line saying what it means. */
function Fact({ label, help, children, testId }: { label: Key; help: Key; children: ReactNode; testId?: string }) {
  const { t } = useI18n();
  return (
    <div className="admin-fact" data-testid={testId}>
      <Text size="sm" fw={500}>
        {t(label)}
      </Text>
      <div data-value>{children}</div>
      <Text size="xs" c="gray.7">
        {t(help)}
      </Text>
    </div>
  );
}

export function Cache() {
  const { t, lang } = useI18n();
  const stats = useAdminQuery("cache", "/api/admin/cache/stats/", {}, true, { view: "stats", refetchInterval: STATS_POLL_MS });
  // The store's flags (every instance reads the same within a second); the stats say only this
  // instance's view.
  const flags = useAdminQuery("cache", "/api/admin/cache/flags/", {}, true, { view: "flags", refetchInterval: STATS_POLL_MS });
  const setFlag = useAdminMutation("put", "/api/admin/cache/flags/", (body: Flag) => ({ body }));
  const data = stats.data;
  const n = (value: number) => formatNumber(value, lang);
  const span = data ? data.interval_seconds * data.window : 0;
  return (
    <Stack>
      <Title order={2}>{t("cache")}</Title>
      <QueryState isPending={stats.isPending} error={stats.error} isEmpty={false} retry={() => void stats.refetch()}>
        {data && (
          <>
            <Card withBorder>
              <div className="admin-facts" data-testid="cache-health">
                <Fact label="storePlace" help="storePlaceHelp">
                  <Text data-store={data.backend}>{STORES[data.backend] ? t(STORES[data.backend] as Key) : <span lang={langOf(data.backend)}>{data.backend}</span>}</Text>
                </Fact>
                <Fact label="storeLink" help="storeLinkHelp">
                  <Badge color={data.breaker_open ? "red" : "blue"} variant="light" data-open={data.breaker_open}>
                    {t(data.breaker_open ? "storeLinkDown" : "storeLinkUp")}
                  </Badge>
                </Fact>
                <Fact label="waitingChanges" help="waitingChangesHelp" testId="pending-invalidations">
                  <Text>{n(data.pending_invalidations)}</Text>
                </Fact>
              </div>
            </Card>
            <Text size="sm" c="gray.7">
              {t("sinceStart")}
            </Text>
            <PageCache stats={data} spanSeconds={span} />
            <CdnPurges cdn={data.cdn} />
            <Warm />
            <Stack gap={4}>
              <Title order={3} size="h4">
                {t("dataCache")}
              </Title>
              <Text size="sm">{t("dataCacheHelp")}</Text>
              <Text size="sm" c="gray.7">
                {t("caching")}: {t("cachingHelp")}
              </Text>
              <List size="sm" c="gray.7" data-testid="cache-legend">
                {(["hits", "misses", "bypasses", "hitRatio"] as const).map((key) => (
                  <List.Item key={key}>
                    {t(key)}: {t(`${key}Help`)}
                  </List.Item>
                ))}
              </List>
            </Stack>
            {setFlag.error && (
              <Alert color="red" title={t("notDone")} role="alert">
                <Text dir="auto">{setFlag.error.message}</Text>
              </Alert>
            )}
            <div className="admin-cache-grid">
              {data.namespaces.map((ns) => {
                const enabled = flags.data?.find((f) => f.namespace === ns.namespace)?.enabled ?? ns.enabled;
                const switching = setFlag.isPending && setFlag.variables.namespace === ns.namespace;
                const named = NAMESPACES[ns.namespace];
                const name = named ? t(named) : ns.namespace;
                const points = rolling(intervalsOfSeries(ns.series, data.interval_seconds), WINDOW_SECONDS);
                return (
                  <Card key={ns.namespace} withBorder data-namespace={ns.namespace} data-enabled={enabled}>
                    <Stack gap="xs">
                      <Group justify="space-between" wrap="nowrap" align="start">
                        <Title order={4} size="h5" title={ns.namespace} lang={named ? undefined : langOf(name)}>
                          {name}
                        </Title>
                        <Switch label={t("caching")} aria-label={`${t("caching")}: ${name}`} checked={enabled} disabled={switching} onChange={(e) => setFlag.mutate({ namespace: ns.namespace, enabled: e.currentTarget.checked })} />
                      </Group>
                      <Table fz="sm">
                        <Table.Thead>
                          <Table.Tr>
                            {(["hits", "misses", "bypasses", "hitRatio"] as const satisfies Key[]).map((key) => (
                              <Table.Th key={key} className="admin-table-cell-number">
                                {t(key)}
                              </Table.Th>
                            ))}
                          </Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          <Table.Tr>
                            <Table.Td className="admin-table-cell-number">{n(ns.hits)}</Table.Td>
                            <Table.Td className="admin-table-cell-number">{n(ns.misses)}</Table.Td>
                            <Table.Td className="admin-table-cell-number">{n(ns.bypasses)}</Table.Td>
                            <Table.Td className="admin-table-cell-number">{formatPercent(ns.hit_ratio, lang)}</Table.Td>
                          </Table.Tr>
                        </Table.Tbody>
                      </Table>
                      <Charts subject={name} points={points} spanSeconds={span} share="answeredReady" rate="readsPerSecond" />
                    </Stack>
                  </Card>
                );
              })}
            </div>
          </>
        )}
      </QueryState>
      <KeyAudit />
    </Stack>
  );
}

/** The share answered ready and the requests per second, then every point's numbers. */
function Charts({ subject, points, spanSeconds, share, rate }: { subject: string; points: readonly WindowPoint[]; spanSeconds: number; share: Key; rate: Key }) {
  const { t, lang } = useI18n();
  const n = (value: number) => formatNumber(value, lang);
  return (
    <>
      <div className="admin-chart-pair">
        <RateChart title={t(share)} subject={subject} points={points} measure="share" spanSeconds={spanSeconds} />
        <RateChart title={t(rate)} subject={subject} points={points} measure="rate" spanSeconds={spanSeconds} />
      </div>
      {points.length > 0 && (
        <details className="admin-chart-numbers">
          <summary>{t("numbers")}</summary>
          <Table fz="xs" striped>
            <Table.Thead>
              <Table.Tr>
                {(["time", "hits", "misses", "bypasses", share, rate] as const).map((key) => (
                  <Table.Th key={key} className={key === "time" ? undefined : "admin-table-cell-number"}>
                    {t(key)}
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {points.map((p) => (
                <Table.Tr key={p.at}>
                  <Table.Td>{formatClock(new Date(p.at).toISOString(), lang)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(p.hits)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(p.misses)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(p.bypasses)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{formatPercent(p.ratio, lang)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{formatRate(p.perSecond, lang)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </details>
      )}
    </>
  );
}

/** The polls of the page cache's totals seen while the dashboard is open: the server keeps no
 * series of them, so the chart's points are the differences between polls (chart.ts). */
function usePolled(stats: Stats, spanSeconds: number): Sample[] {
  const [samples, setSamples] = useState<Sample[]>([]);
  const sample = { at: Date.parse(stats.at), since: stats.html.since, hits: stats.html.hits + stats.html.stale, misses: stats.html.misses };
  const last = samples.at(-1);
  // A new answer: kept while rendering (React's "adjust state when a prop changes").
  if (last?.at !== sample.at || last.since !== sample.since) setSamples(appendSample(samples, sample, spanSeconds * 1000));
  return samples;
}

/** The HTML page cache that serves visitors: what it served and holds, and its rates. */
function PageCache({ stats, spanSeconds }: { stats: Stats; spanSeconds: number }) {
  const { t, lang } = useI18n();
  const samples = usePolled(stats, spanSeconds);
  const points = rolling(intervalsOfSamples(samples), WINDOW_SECONDS);
  const html = stats.html;
  const n = (value: number) => formatNumber(value, lang);
  return (
    <Section title="pageCache" help="pageCacheHelp" testId="page-cache">
    <div className="admin-facts">
        <Fact label="pageHits" help="pageHitsHelp" testId="page-hits">
          <Text>{n(html.hits)}</Text>
        </Fact>
        <Fact label="pageStale" help="pageStaleHelp" testId="page-stale">
          <Text>{n(html.stale)}</Text>
        </Fact>
        <Fact label="pageMisses" help="pageMissesHelp" testId="page-misses">
          <Text>{n(html.misses)}</Text>
        </Fact>
        <Fact label="pagesKept" help="pagesKeptHelp" testId="pages-kept">
          <Text>
            {n(html.entries)} ({formatBytes(html.bytes, lang)} {t("of")} {formatBytes(html.capacity_bytes, lang)})
          </Text>
        </Fact>
      </div>
      <Charts subject={t("pageCache")} points={points} spanSeconds={spanSeconds} share="pagesReady" rate="pageRequests" />
      <Text size="xs" c="gray.7">
        {t("chartFilling")}
      </Text>
    </Section>
  );
}

/** Starts a warm on the server and follows it: polled every second while it runs. */
function Warm() {
  const { t, lang } = useI18n();
  const state = useAdminQuery("cache", "/api/admin/cache/warm/", {}, true, { view: "warm", refetchInterval: warmPollInterval });
  const start = useAdminMutation("post", "/api/admin/cache/warm/", () => ({}));
  const progress = warmProgress(state.data);
  const n = (value: number) => formatNumber(value, lang);
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={3} size="h5">
            {t("warm")}
          </Title>
          <Button onClick={() => start.mutate(undefined)} loading={start.isPending} disabled={progress.phase === "running"}>
            {t("warmStart")}
          </Button>
        </Group>
        <Text size="sm" c="gray.7">
          {t("warmHint")}
        </Text>
        {(start.error ?? state.error) && (
          <Alert color="red" role="alert">
            <Text dir="auto">{(start.error ?? state.error)?.message}</Text>
          </Alert>
        )}
        {progress.phase !== "idle" && (
          <div data-testid="warm-progress" data-phase={progress.phase}>
            <progress className="admin-progress" max={100} value={progress.percent} aria-label={t("warm")} aria-valuetext={formatPercent(progress.percent / 100, lang)} />
            <Text size="sm">
              {/* Announced when the phase changes, not at every count. */}
              <span aria-live="polite">{t(progress.phase === "done" ? "warmDone" : "warmRunning")}</span>: {n(progress.done)} {t("of")} {n(progress.total)}
              {progress.failed > 0 && `${t("comma")}${n(progress.failed)} ${t("failed")}`}
            </Text>
          </div>
        )}
      </Stack>
    </Card>
  );
}

const FINDINGS = [
  ["off_convention", "offConvention"],
  ["without_ttl", "withoutTtl"],
  ["oversized", "oversized"],
] as const satisfies readonly (readonly [keyof Audit, Key])[];

/** Scans the store, so only on request. */
function KeyAudit() {
  const { t, lang } = useI18n();
  const audit = useAdminQuery("cache", "/api/admin/cache/audit/", {}, false, { view: "audit" });
  const report = audit.data;
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={3} size="h5">
            {t("audit")}
          </Title>
          <Button variant="light" onClick={() => void audit.refetch()} loading={audit.isFetching}>
            {t("auditRun")}
          </Button>
        </Group>
        <Text size="sm" c="gray.7">
          {t("auditHint")}
        </Text>
        {audit.error && (
          <Alert color="red" role="alert">
            <Text dir="auto">{audit.error.message}</Text>
          </Alert>
        )}
        {report && (
          <>
            <Text data-testid="audit-scanned">
              {t("scanned")}: {formatNumber(report.scanned, lang)}
              {report.truncated && ` (${t("truncated")})`}
            </Text>
            <Table data-testid="audit-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t("kind")}</Table.Th>
                  <Table.Th className="admin-table-cell-number">{t("count")}</Table.Th>
                  <Table.Th>{t("samples")}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {FINDINGS.map(([field, label]) => (
                  <Table.Tr key={field}>
                    <Table.Td>{t(label)}</Table.Td>
                    <Table.Td className="admin-table-cell-number">{formatNumber(report[field].count, lang)}</Table.Td>
                    <Table.Td>
                      {report[field].samples.length === 0 ? (
                        "—"
                      ) : (
                        <List size="xs">
                          {report[field].samples.map((key) => (
                            <List.Item key={key}>
                              <Code dir="ltr" lang={langOf(key)}>
                                {key}
                              </Code>
                            </List.Item>
                          ))}
                        </List>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </>
        )}
      </Stack>
    </Card>
  );
}
