// The cache dashboard's CDN section: for each provider the site's pages are purged from (Varnish,
// Fastly, Cloudflare), the tags waiting to be purged and how long the oldest has waited, and the
// totals of its purge requests across every instance. Nothing when no provider is configured.
import { Badge, Group, List, Table } from "@mantine/core";

import type { components } from "../api/schema";
import { formatDuration, formatNumber } from "../format";
import { type Key, useI18n } from "../i18n";
import { langOf } from "../textLang";
import { Section } from "./Section";

type Backlog = components["schemas"]["Backlog"];

const PROVIDERS: Readonly<Record<string, Key>> = { varnish: "cdnVarnish", fastly: "cdnFastly", cloudflare: "cdnCloudflare" };

/** The table's columns after the provider's name, each explained in the legend (…Help). */
const COLUMNS = ["cdnPending", "cdnOldest", "cdnRequests", "cdnFailures", "cdnRateLimited", "cdnFallbacks", "cdnPurgedTags"] as const satisfies Key[];

export function CdnPurges({ cdn }: { cdn: readonly Backlog[] }) {
  const { t, lang } = useI18n();
  if (cdn.length === 0) return null;
  const n = (value: number) => formatNumber(value, lang);
  return (
    <Section title="cdnPurges" help="cdnPurgesHelp" testId="cdn-purges">
        <Table fz="sm" data-testid="cdn-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("cdnProvider")}</Table.Th>
              {COLUMNS.map((key) => (
                <Table.Th key={key} className="admin-table-cell-number">
                  {t(key)}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {cdn.map((backlog) => {
              const named = PROVIDERS[backlog.provider];
              const name = named ? t(named) : backlog.provider;
              return (
                <Table.Tr key={backlog.provider} data-provider={backlog.provider} data-stale={backlog.stale}>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <span lang={langOf(name)}>{name}</span>
                      {/* In words, not only in colour: the legend says what it means. */}
                      {backlog.stale && (
                        <Badge color="red" variant="light" data-testid="cdn-stale">
                          {t("cdnStale")}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(backlog.pending)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{backlog.pending === 0 ? "—" : formatDuration(backlog.oldest_secs, lang)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(backlog.requests)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(backlog.failures)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(backlog.rate_limited)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(backlog.fallbacks)}</Table.Td>
                  <Table.Td className="admin-table-cell-number">{n(backlog.purged_tags)}</Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
        <List size="sm" c="gray.7" data-testid="cdn-legend">
          {([...COLUMNS, "cdnStale"] as const).map((key) => (
            <List.Item key={key}>
              {t(key)}: {t(`${key}Help`)}
            </List.Item>
          ))}
        </List>
    </Section>
  );
}
