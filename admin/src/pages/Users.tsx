// Staff accounts, for admins: the list (search, role and status filters, ordering, pages) with
// activate/deactivate on each row; creating and editing are UserForm's.
import { Alert, Anchor, Badge, Button, Group, Table, Text } from "@mantine/core";
import { Link } from "react-router";

import type { Query } from "../api/client";
import { useAdminMutation, useAdminQuery } from "../api/hooks";
import type { Role } from "../access";
import { formatDateTime, formatNumber } from "../format";
import { type Key, useI18n } from "../i18n";
import { langOf } from "../textLang";
import { problemsOf } from "./errors";
import { FilterSelect, ListHeader, SearchBox, oneOf, pageCount, useUrlFilters } from "./ListControls";
import { Pager } from "./Pager";
import { QueryState } from "./State";

type ListQuery = Query<"/api/admin/users/", "get">;
type Ordering = NonNullable<ListQuery["ordering"]>;

const PAGE_SIZE = 20;
export const ROLES: readonly { value: Role; label: Key }[] = [
  { value: "admin", label: "roleAdmin" },
  { value: "editor", label: "roleEditor" },
  { value: "support", label: "roleSupport" },
];
const ORDERINGS: readonly { value: Ordering; label: Key }[] = [
  { value: "username", label: "username" },
  { value: "role", label: "role" },
  { value: "-last_login", label: "lastLogin" },
  { value: "-date_joined", label: "newestUsers" },
];
const ACTIVE = [
  { value: "true", label: "active" },
  { value: "false", label: "inactive" },
] as const;

export function roleLabel(role: Role): Key {
  return ROLES.find((r) => r.value === role)?.label ?? "role";
}

/** Active or not, for the list and the form. Blue, not green: Mantine's light green badge is
 * below AA contrast. */
export function ActiveBadge({ active }: { active: boolean }) {
  const { t } = useI18n();
  return (
    <Badge variant="light" color={active ? "blue" : "gray"} data-active={active}>
      {t(active ? "active" : "inactive")}
    </Badge>
  );
}

export function Users() {
  const { t, lang } = useI18n();
  const { search, set, page } = useUrlFilters();
  const active = search.get("is_active");
  const query: ListQuery = {
    q: search.get("q") ?? undefined,
    role: oneOf(ROLES.map((r) => r.value), search.get("role")),
    is_active: active === "true" ? true : active === "false" ? false : undefined,
    ordering: oneOf(ORDERINGS.map((o) => o.value), search.get("ordering")) ?? "username",
    page,
    page_size: PAGE_SIZE,
  };
  const list = useAdminQuery("users", "/api/admin/users/", { query });
  const setActive = useAdminMutation("patch", "/api/admin/users/{id}/", ({ id, isActive }: { id: number; isActive: boolean }) => ({
    params: { id },
    body: { is_active: isActive },
  }));
  const remove = useAdminMutation("delete", "/api/admin/users/{id}/", (id: number) => ({ params: { id } }));
  // The server's refusals (yourself, the last admin) name `is_active` or no field: a row shows
  // them in one alert, for whichever action ran last.
  const refusal = problemsOf(setActive.error ?? remove.error).alert;

  const rows = list.data?.results ?? [];
  const pages = pageCount(list.data?.count, PAGE_SIZE);

  return (
    <>
      <ListHeader title="users" newTo="/users/new" newLabel="newUser" />
      <Group mb="md" align="end">
        <SearchBox value={query.q} onSearch={(q) => set("q", q)} />
        <FilterSelect label="role" all choices={ROLES} value={query.role} onChange={(value) => set("role", value)} />
        <FilterSelect label="status" all choices={ACTIVE} value={active ?? undefined} onChange={(value) => set("is_active", value)} />
        <FilterSelect label="ordering" choices={ORDERINGS} value={query.ordering} onChange={(value) => set("ordering", value)} />
      </Group>
      {refusal !== null && (
        <Alert
          color="red"
          title={t("notDone")}
          role="alert"
          mb="md"
          data-testid="users-refusal"
          withCloseButton
          closeButtonLabel={t("close")}
          onClose={() => {
            setActive.reset();
            remove.reset();
          }}
        >
          <Text dir="auto">{refusal}</Text>
        </Alert>
      )}
      <QueryState isPending={list.isPending} error={list.error} isEmpty={rows.length === 0} retry={() => void list.refetch()}>
        <Table striped highlightOnHover data-testid="users-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("username")}</Table.Th>
              <Table.Th>{t("email")}</Table.Th>
              <Table.Th>{t("role")}</Table.Th>
              <Table.Th>{t("status")}</Table.Th>
              <Table.Th>{t("lastLogin")}</Table.Th>
              <Table.Th>{t("actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((user) => (
              <Table.Tr key={user.id} data-id={user.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/users/${user.id}`} dir="auto" lang={langOf(user.username)}>
                    {user.username}
                  </Anchor>
                </Table.Td>
                <Table.Td dir="auto" lang={langOf(user.email)}>
                  {user.email || "—"}
                </Table.Td>
                <Table.Td data-role={user.role}>{t(roleLabel(user.role))}</Table.Td>
                <Table.Td>
                  <ActiveBadge active={user.is_active} />
                </Table.Td>
                <Table.Td>{formatDateTime(user.last_login, lang)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="light"
                      aria-label={`${t(user.is_active ? "deactivate" : "activate")} ${user.username}`}
                      loading={setActive.isPending && setActive.variables.id === user.id}
                      onClick={() => {
                        remove.reset();
                        setActive.mutate({ id: user.id, isActive: !user.is_active });
                      }}
                    >
                      {t(user.is_active ? "deactivate" : "activate")}
                    </Button>
                    <Button
                      size="xs"
                      variant="light"
                      color="red"
                      aria-label={`${t("delete")} ${user.username}`}
                      loading={remove.isPending && remove.variables === user.id}
                      onClick={() => {
                        setActive.reset();
                        if (window.confirm(`${t("confirmDelete")} ${user.username}`)) remove.mutate(user.id);
                      }}
                    >
                      {t("delete")}
                    </Button>
                  </Group>
                </Table.Td>
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
