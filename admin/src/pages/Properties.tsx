import { Anchor, Badge, Button, Checkbox, Group, Pagination, Select, Table, Text, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import type { Query } from "../api/client";
import { useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { useI18n } from "../i18n";
import { QueryState } from "./State";

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

function oneOf<T extends string>(values: readonly T[], value: string | null): T | undefined {
  return values.find((v) => v === value);
}

export function Properties() {
  const { t } = useI18n();
  // Filters live in the URL: a reload, a shared link and the 401 round trip keep them.
  const [search, setSearch] = useSearchParams();
  const query: ListQuery = {
    status: oneOf(STATUSES, search.get("status")),
    deal: oneOf(DEALS, search.get("deal")),
    q: search.get("q") ?? undefined,
    ordering: oneOf(
      ORDERINGS.map((o) => o.value),
      search.get("ordering"),
    ) ?? "-updated_at",
    page: Number(search.get("page") ?? "1") || 1,
    page_size: PAGE_SIZE,
  };
  const list = useAdminQuery("properties", "/api/admin/properties/", { query });
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [q, setQ] = useState(query.q ?? "");
  const bulk = useAdminMutation("post", "/api/admin/properties/bulk/", (body: { action: "status" | "delete"; status?: Status }) => ({
    body: { ...body, ids: [...selected] },
  }));

  const set = (name: string, value: string | null) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== "page") next.delete("page");
    setSearch(next);
    setSelected(new Set());
  };
  const rows = list.data?.results ?? [];
  const allSelected = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const toggle = (id: number) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  const runBulk = (body: { action: "status" | "delete"; status?: Status }) => {
    if (body.action === "delete" && !window.confirm(t("confirmDelete"))) return;
    bulk.mutate(body, { onSuccess: () => setSelected(new Set()) });
  };
  const pages = Math.max(1, Math.ceil((list.data?.count ?? 0) / PAGE_SIZE));

  return (
    <>
      <Group justify="space-between" mb="md">
        <Title order={2}>{t("properties")}</Title>
        <Button component={Link} to="/properties/new">
          {t("newProperty")}
        </Button>
      </Group>
      <Group mb="md" align="end">
        <form
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            set("q", q.trim());
          }}
        >
          <TextInput label={t("search")} type="search" name="q" value={q} onChange={(e) => setQ(e.currentTarget.value)} dir="auto" />
        </form>
        <Select
          label={t("status")}
          data={[{ value: "", label: t("all") }, ...STATUSES.map((s) => ({ value: s, label: t(s) }))]}
          value={query.status ?? ""}
          onChange={(value) => set("status", value)}
          allowDeselect={false}
        />
        <Select
          label={t("deal")}
          data={[{ value: "", label: t("all") }, ...DEALS.map((d) => ({ value: d, label: t(d) }))]}
          value={query.deal ?? ""}
          onChange={(value) => set("deal", value)}
          allowDeselect={false}
        />
        <Select
          label={t("ordering")}
          data={ORDERINGS.map((o) => ({ value: o.value, label: t(o.label) }))}
          value={query.ordering ?? null}
          onChange={(value) => set("ordering", value)}
          allowDeselect={false}
        />
      </Group>
      {selected.size > 0 && (
        <Group mb="md" data-testid="bulk-bar">
          <Text>
            {selected.size} {t("selected")}
          </Text>
          <Button size="xs" onClick={() => runBulk({ action: "status", status: "published" })} loading={bulk.isPending}>
            {t("publish")}
          </Button>
          <Button size="xs" onClick={() => runBulk({ action: "status", status: "archived" })} loading={bulk.isPending}>
            {t("archive")}
          </Button>
          <Button size="xs" onClick={() => runBulk({ action: "status", status: "draft" })} loading={bulk.isPending}>
            {t("toDraft")}
          </Button>
          <Button size="xs" color="red" onClick={() => runBulk({ action: "delete" })} loading={bulk.isPending}>
            {t("delete")}
          </Button>
          {bulk.error && (
            <Text c="red" role="alert">
              {bulk.error.message}
            </Text>
          )}
        </Group>
      )}
      <QueryState isPending={list.isPending} error={list.error} isEmpty={rows.length === 0} retry={() => void list.refetch()}>
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
              <Table.Th className="admin-table-cell-number">{t("price")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.id} data-id={row.id}>
                <Table.Td>
                  <Checkbox aria-label={`${t("selectRow")} ${row.title}`} checked={selected.has(row.id)} onChange={() => toggle(row.id)} />
                </Table.Td>
                <Table.Td>
                  <Anchor component={Link} to={`/properties/${row.id}`} dir="auto">
                    {row.title}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" data-status={row.status}>
                    {t(row.status)}
                  </Badge>
                </Table.Td>
                <Table.Td>{t(row.deal)}</Table.Td>
                <Table.Td dir="auto">{row.city}</Table.Td>
                <Table.Td dir="auto">{row.category?.name ?? "—"}</Table.Td>
                <Table.Td className="admin-table-cell-number">{row.price}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <Group mt="md" justify="space-between">
          <Text size="sm">
            {t("count")}: {list.data?.count ?? 0}
          </Text>
          <Pagination total={pages} value={query.page ?? 1} onChange={(page) => set("page", String(page))} getControlProps={(page) => ({ "aria-label": `${t("page")} ${page}` })} />
        </Group>
      </QueryState>
    </>
  );
}
