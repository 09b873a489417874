// The cache dashboard, for admins: this instance's reads per namespace over the last 15 minutes
// (refetched every few seconds while open), the breaker and queued invalidations, a flag switch
// per namespace, warming with its progress, and the key audit on demand.
import { Alert, Badge, Button, Card, Code, Group, List, Stack, Switch, Table, Text, Title } from "@mantine/core";

import { useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { formatNumber, formatPercent } from "../format";
import { type Key, useI18n } from "../i18n";
import { HitRatioChart } from "./HitRatioChart";
import { QueryState } from "./State";
import { warmPollInterval, warmProgress } from "./warm";

type Flag = components["schemas"]["FlagInput"];
type Audit = components["schemas"]["Audit"];

/** The numbers change every 10 s on the server; asking every 5 s shows each interval soon. */
const STATS_POLL_MS = 5000;

export function Cache() {
  const { t, lang } = useI18n();
  const stats = useAdminQuery("cache", "/api/admin/cache/stats/", {}, true, { view: "stats", refetchInterval: STATS_POLL_MS });
  // The store's flags (every instance reads the same within a second); the stats say only this
  // instance's view.
  const flags = useAdminQuery("cache", "/api/admin/cache/flags/", {}, true, { view: "flags", refetchInterval: STATS_POLL_MS });
  const setFlag = useAdminMutation("put", "/api/admin/cache/flags/", (body: Flag) => ({ body }));
  const data = stats.data;
  const n = (value: number) => formatNumber(value, lang);
  return (
    <Stack>
      <Title order={2}>{t("cache")}</Title>
      <QueryState isPending={stats.isPending} error={stats.error} isEmpty={false} retry={() => void stats.refetch()}>
        {data && (
          <>
            <Group data-testid="cache-health">
              <Text>
                {t("backend")}: <Code>{data.backend}</Code>
              </Text>
              <Badge color={data.breaker_open ? "red" : "blue"} variant="light" data-open={data.breaker_open}>
                {t("breaker")}: {t(data.breaker_open ? "breakerOpen" : "breakerClosed")}
              </Badge>
              <Text data-testid="pending-invalidations">
                {t("pendingInvalidations")}: {n(data.pending_invalidations)}
              </Text>
            </Group>
            <Warm />
            {setFlag.error && (
              <Alert color="red" title={t("notDone")} role="alert">
                <Text dir="auto">{setFlag.error.message}</Text>
              </Alert>
            )}
            <Text size="sm" c="gray.7">
              {t("sinceStart")}
            </Text>
            <div className="admin-cache-grid">
              {data.namespaces.map((ns) => {
                const enabled = flags.data?.find((f) => f.namespace === ns.namespace)?.enabled ?? ns.enabled;
                const switching = setFlag.isPending && setFlag.variables.namespace === ns.namespace;
                return (
                  <Card key={ns.namespace} withBorder data-namespace={ns.namespace} data-enabled={enabled}>
                    <Stack gap="xs">
                      <Group justify="space-between" wrap="nowrap">
                        <Title order={3} size="h5">
                          <Code dir="ltr">{ns.namespace}</Code>
                        </Title>
                        <Switch
                          label={t("caching")}
                          aria-label={`${t("caching")} ${ns.namespace}`}
                          checked={enabled}
                          disabled={switching}
                          onChange={(e) => setFlag.mutate({ namespace: ns.namespace, enabled: e.currentTarget.checked })}
                        />
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
                      <HitRatioChart namespace={ns.namespace} series={ns.series} spanSeconds={data.interval_seconds * data.window} />
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
                              <Code dir="ltr">{key}</Code>
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
