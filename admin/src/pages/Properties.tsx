import { Anchor, Badge, Checkbox, Group, Table, Text } from "@mantine/core";
import { useState } from "react";
import { Link } from "react-router";

import type { Query } from "../api/client";
import { useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { useSiteInfo } from "../api/site";
import { formatDateTime, formatNumber } from "../format";
import { useI18n } from "../i18n";
import { formatMoney, unitName } from "../money";
import { shownLang } from "../textLang";
import { FilterSelect, ListHeader, SearchBox, oneOf, pageCount, useUrlFilters } from "./ListControls";
import { Pager } from "./Pager";
import { PropertiesBulkBar } from "./PropertiesBulk";
import { QueryState } from "./State";
import { isScheduled } from "./scheduled";

type Status = components["schemas"]["PropertyStatus"];
type Deal = components["schemas"]["Deal"];
type ListQuery = Query<"/api/admin/properties/", "get">;
type Ordering = NonNullable<ListQuery["ordering"]>;

export const PAGE_SIZE = 20;
const STATUSES: Status[] = ["draft", "published", "archived"];
const DEALS: Deal[] = ["sale", "rent"];
const ORDERINGS: { value: Ordering; label: "newest" | "oldest" | "priceUp" | "priceDown" }[] = [
  { value: "-updated_at", label: "newest" },
  { value: "updated_at", label: "oldest" },
  { value: "price", label: "priceUp" },
  { value: "-price", label: "priceDown" },
];

export function Properties() {
  const { t, lang } = useI18n();
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const { search, set, page } = useUrlFilters(() => setSelected(new Set()));
  const query: ListQuery = {
    status: oneOf(STATUSES, search.get("status")),
    deal: oneOf(DEALS, search.get("deal")),
    q: search.get("q") ?? undefined,
    ordering: oneOf(
      ORDERINGS.map((o) => o.value),
      search.get("ordering"),
    ) ?? "-updated_at",
    page,
    page_size: PAGE_SIZE,
  };
  const list = useAdminQuery("properties", "/api/admin/properties/", { query });
  // Prices in the unit the site shows them in.
  const site = useSiteInfo();
  const rows = list.data?.results ?? [];
  const allSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const toggle = (id: number) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const pages = pageCount(list.data?.count, PAGE_SIZE);

  return (
    <>
      <ListHeader title="properties" newTo="/properties/new" newLabel="newProperty" />
      <Group mb="md" align="end">
        <SearchBox value={query.q} onSearch={(q) => set("q", q)} />
        <FilterSelect label="status" all choices={STATUSES.map((s) => ({ value: s, label: s }))} value={query.status} onChange={(value) => set("status", value)} />
        <FilterSelect label="deal" all choices={DEALS.map((d) => ({ value: d, label: d }))} value={query.deal} onChange={(value) => set("deal", value)} />
        <FilterSelect label="ordering" choices={ORDERINGS} value={query.ordering} onChange={(value) => set("ordering", value)} />
      </Group>
      <PropertiesBulkBar
        selected={selected}
        pageIds={rows.map((row) => row.id)}
        count={list.data?.count ?? 0}
        filter={{ q: query.q, status: query.status, deal: query.deal, ordering: query.ordering }}
        onClear={() => setSelected(new Set())}
      />
      <QueryState
        isPending={list.isPending || site.isPending}
        error={list.error ?? site.error}
        isEmpty={rows.length === 0}
        retry={() => void (site.error ? site.refetch() : list.refetch())}
      >
        <Table striped highlightOnHover data-testid="properties-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>
                <Checkbox
                  aria-label={t("selectAll")}
                  checked={allSelected}
                  indeterminate={!allSelected && rows.some((row) => selected.has(row.id))}
                  onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((row) => row.id)))}
                />
              </Table.Th>
              <Table.Th>{t("title")}</Table.Th>
              <Table.Th>{t("status")}</Table.Th>
              <Table.Th>{t("deal")}</Table.Th>
              <Table.Th>{t("city")}</Table.Th>
              <Table.Th>{t("category")}</Table.Th>
              <Table.Th className="admin-table-cell-number">
                {t("price")}
                {site.data && ` (${unitName(site.data.currency, lang)})`}
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.id} data-id={row.id}>
                <Table.Td>
                  <Checkbox aria-label={`${t("selectRow")} ${row.title}`} checked={selected.has(row.id)} onChange={() => toggle(row.id)} />
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/properties/${row.id}`} dir="auto" lang={shownLang(row, "title")}>
                    {row.title}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" data-status={row.status}>
                    {t(row.status)}
                  </Badge>
                  {isScheduled(row) && (
                    <Badge variant="outline" ms="xs" title={formatDateTime(row.published_at, lang)} data-testid="scheduled">
                      {t("scheduled")}
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>{t(row.deal)}</Table.Td>
                <Table.Td dir="auto" lang={shownLang(row, "city")}>
                  {row.city}
                </Table.Td>
                <Table.Td dir="auto" lang={row.category?.lang}>
                  {row.category?.name ?? "—"}
                </Table.Td>
                <Table.Td className="admin-table-cell-number">{site.data && formatMoney(row.price, site.data.currency, lang)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group mt="md" justify="space-between">
          <Text size="sm">
            {t("count")}: {formatNumber(list.data?.count ?? 0, lang)}
          </Text>
          <Pager total={pages} value={query.page ?? 1} onChange={(page) => set("page", String(page))} />
        </Group>
      </QueryState>
    </>
  );
}
