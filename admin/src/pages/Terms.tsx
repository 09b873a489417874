// Taxonomy: categories (with their parent), tags and options (by group). One screen shape, each
// kind with its own typed requests.
import { Alert, Button, Group, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { type SyntheticEvent, useState } from "react";

import { ApiError } from "../api/client";
import { useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { type Key, type Lang, useI18n } from "../i18n";
import { QueryState } from "./State";

type Name = components["schemas"]["Name"];

/** A term's name in the admin's language, the other when that one is empty. */
export function nameIn(lang: Lang, term: Name): string {
  const own = lang === "en" ? term.name_en : term.name_fa;
  return own || term.name;
}

interface Row extends Name {
  id: number;
  slug: string;
  extra?: string;
}

type Values = Record<string, string>;

interface Field {
  name: string;
  label: Key;
  choices?: { value: string; label: string }[];
}

interface ScreenProps {
  kind: "categories" | "tags" | "options";
  rows: Row[] | undefined;
  isPending: boolean;
  error: Error | null;
  retry: () => void;
  fields: Field[];
  extraLabel?: Key;
  valuesOf: (row: Row | null) => Values;
  save: (id: number | null, values: Values, done: () => void) => void;
  saving: boolean;
  saveError: Error | null;
  remove: (id: number) => void;
  removeError: Error | null;
}

const NAME_FIELDS: Field[] = [
  { name: "name_fa", label: "nameFa" },
  { name: "name_en", label: "nameEn" },
  { name: "slug", label: "slug" },
];

export function Terms({ kind }: { kind: ScreenProps["kind"] }) {
  // A different kind is a different screen: no state crosses.
  if (kind === "categories") return <Categories key={kind} />;
  if (kind === "tags") return <Tags key={kind} />;
  return <Options key={kind} />;
}

const LIST = { page_size: 100 } as const;

function Categories() {
  const { lang, t } = useI18n();
  const list = useAdminQuery("categories", "/api/admin/categories/", { query: { ...LIST, app: "real_estate", ordering: "name" } });
  const create = useAdminMutation("post", "/api/admin/categories/", (v: Values) => ({ body: categoryBody(v) }));
  const update = useAdminMutation("patch", "/api/admin/categories/{id}/", ({ id, v }: { id: number; v: Values }) => ({ params: { id }, body: categoryBody(v) }));
  const remove = useAdminMutation("delete", "/api/admin/categories/{id}/", (id: number) => ({ params: { id } }));
  const results = list.data?.results;
  const rows = results?.map((c) => ({ ...c, extra: results.find((p) => p.id === c.parent)?.name ?? "" }));
  return (
    <Screen
      kind="categories"
      rows={rows}
      isPending={list.isPending}
      error={list.error}
      retry={() => void list.refetch()}
      fields={[...NAME_FIELDS, { name: "parent", label: "parent", choices: [{ value: "", label: t("none") }, ...(results ?? []).map((c) => ({ value: String(c.id), label: nameIn(lang, c) }))] }]}
      extraLabel="parent"
      valuesOf={(row) => ({ ...namesOf(row), parent: row ? String(results?.find((c) => c.id === row.id)?.parent ?? "") : "" })}
      save={(id, v, done) => {
        if (id === null) create.mutate(v, { onSuccess: done });
        else update.mutate({ id, v }, { onSuccess: done });
      }}
      saving={create.isPending || update.isPending}
      saveError={create.error ?? update.error}
      remove={(id) => remove.mutate(id)}
      removeError={remove.error}
    />
  );
}

function categoryBody(v: Values) {
  return { ...names(v), app: "real_estate" as const, parent: v.parent ? Number(v.parent) : null };
}

function Tags() {
  const list = useAdminQuery("tags", "/api/admin/tags/", { query: { ...LIST, ordering: "name" } });
  const create = useAdminMutation("post", "/api/admin/tags/", (v: Values) => ({ body: names(v) }));
  const update = useAdminMutation("patch", "/api/admin/tags/{id}/", ({ id, v }: { id: number; v: Values }) => ({ params: { id }, body: names(v) }));
  const remove = useAdminMutation("delete", "/api/admin/tags/{id}/", (id: number) => ({ params: { id }, query: { force: true } }));
  return (
    <Screen
      kind="tags"
      rows={list.data?.results}
      isPending={list.isPending}
      error={list.error}
      retry={() => void list.refetch()}
      fields={NAME_FIELDS}
      valuesOf={namesOf}
      save={(id, v, done) => {
        if (id === null) create.mutate(v, { onSuccess: done });
        else update.mutate({ id, v }, { onSuccess: done });
      }}
      saving={create.isPending || update.isPending}
      saveError={create.error ?? update.error}
      remove={(id) => remove.mutate(id)}
      removeError={remove.error}
    />
  );
}

function Options() {
  const list = useAdminQuery("options", "/api/admin/options/", { query: { ...LIST, ordering: "group" } });
  const body = (v: Values) => ({ ...names(v), group: v.group ?? "", position: Number(v.position ?? "0") || 0 });
  const create = useAdminMutation("post", "/api/admin/options/", (v: Values) => ({ body: body(v) }));
  const update = useAdminMutation("patch", "/api/admin/options/{id}/", ({ id, v }: { id: number; v: Values }) => ({ params: { id }, body: body(v) }));
  const remove = useAdminMutation("delete", "/api/admin/options/{id}/", (id: number) => ({ params: { id }, query: { force: true } }));
  const results = list.data?.results;
  return (
    <Screen
      kind="options"
      rows={results?.map((o) => ({ ...o, extra: o.group }))}
      isPending={list.isPending}
      error={list.error}
      retry={() => void list.refetch()}
      fields={[...NAME_FIELDS, { name: "group", label: "group" }, { name: "position", label: "position" }]}
      extraLabel="group"
      valuesOf={(row) => {
        const option = results?.find((o) => o.id === row?.id);
        return { ...namesOf(row), group: option?.group ?? "", position: String(option?.position ?? 0) };
      }}
      save={(id, v, done) => {
        if (id === null) create.mutate(v, { onSuccess: done });
        else update.mutate({ id, v }, { onSuccess: done });
      }}
      saving={create.isPending || update.isPending}
      saveError={create.error ?? update.error}
      remove={(id) => remove.mutate(id)}
      removeError={remove.error}
    />
  );
}

function names(v: Values) {
  // `name` is the default language's (Persian), as for every translated field; an empty slug
  // is made from the name by the server.
  const name_fa = v.name_fa ?? "";
  return { name: name_fa, name_fa, name_en: v.name_en ?? "", ...(v.slug ? { slug: v.slug } : {}) };
}

function namesOf(row: Row | null): Values {
  return { name_fa: row?.name_fa ?? "", name_en: row?.name_en ?? "", slug: row?.slug ?? "" };
}

function Screen(props: ScreenProps) {
  const { t, lang } = useI18n();
  const [editing, setEditing] = useState<Row | null>(null);
  const [values, setValues] = useState<Values>(() => props.valuesOf(null));
  const errors = props.saveError instanceof ApiError ? props.saveError.fieldErrors : {};
  const rows = props.rows ?? [];
  const start = (row: Row | null) => {
    setEditing(row);
    setValues(props.valuesOf(row));
  };
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    props.save(editing?.id ?? null, values, () => start(null));
  };
  const problem = errors.non_field_errors ?? errors.detail ?? errors.name;
  return (
    <Stack>
      <Title order={2}>{t(props.kind)}</Title>
      <form onSubmit={submit} aria-label={editing ? t("edit") : t("create")} data-testid="term-form">
        <Group align="end">
          {props.fields.map((field) =>
            field.choices ? (
              <Select key={field.name} name={field.name} label={t(field.label)} data={field.choices} value={values[field.name] ?? ""} onChange={(v) => setValues({ ...values, [field.name]: v ?? "" })} error={errors[field.name]?.join(" ")} allowDeselect={false} />
            ) : (
              <TextInput key={field.name} name={field.name} label={t(field.label)} value={values[field.name] ?? ""} onChange={(e) => setValues({ ...values, [field.name]: e.currentTarget.value })} error={errors[field.name]?.join(" ")} dir="auto" />
            ),
          )}
          <Button type="submit" loading={props.saving}>
            {editing ? t("save") : t("create")}
          </Button>
          {editing && (
            <Button variant="default" onClick={() => start(null)}>
              {t("cancel")}
            </Button>
          )}
        </Group>
        {problem && (
          <Alert color="red" role="alert" mt="sm">
            {problem.join(" ")}
          </Alert>
        )}
      </form>
      {props.removeError && (
        <Alert color="red" role="alert">
          {props.removeError.message}
        </Alert>
      )}
      <QueryState isPending={props.isPending} error={props.error} isEmpty={rows.length === 0} retry={props.retry}>
        <Table striped data-testid="terms-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t("nameFa")}</Table.Th>
              <Table.Th>{t("nameEn")}</Table.Th>
              <Table.Th>{t("slug")}</Table.Th>
              {props.extraLabel && <Table.Th>{t(props.extraLabel)}</Table.Th>}
              <Table.Th>{t("actions")}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((row) => (
              <Table.Tr key={row.id} data-id={row.id}>
                <Table.Td dir="auto">{row.name_fa}</Table.Td>
                <Table.Td dir="auto">{row.name_en}</Table.Td>
                <Table.Td dir="ltr">{row.slug}</Table.Td>
                {props.extraLabel && <Table.Td dir="auto">{row.extra}</Table.Td>}
                <Table.Td>
                  <Group gap="xs">
                    <Button size="xs" variant="light" onClick={() => start(row)} aria-label={`${t("edit")} ${nameIn(lang, row)}`}>
                      {t("edit")}
                    </Button>
                    <Button
                      size="xs"
                      variant="light"
                      color="red"
                      aria-label={`${t("delete")} ${nameIn(lang, row)}`}
                      onClick={() => {
                        if (window.confirm(t("confirmDelete"))) props.remove(row.id);
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
      </QueryState>
    </Stack>
  );
}
