// Taxonomy: categories (with their parent), tags and options (by group). One screen shape, each
// kind with its own typed requests: a form to add one at the top, and a term edited in place, in
// a panel under its row that names it, with the conflict handling of every edit form.
import { Alert, Anchor, Button, Card, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import type { UseQueryResult } from "@tanstack/react-query";
import { Fragment, type SyntheticEvent, useState } from "react";

import { ApiError } from "../api/client";
import { WHILE_EDITING, useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { sitePage, useSiteInfo } from "../api/site";
import { type Key, type Lang, useI18n } from "../i18n";
import { langOf } from "../textLang";
import { Pair, inputLang, pairUp } from "./Bilingual";
import { fill } from "./BulkJob";
import { Conflicts } from "./Conflicts";
import { QueryState } from "./State";
import { useVersionedForm } from "./useVersionedForm";

type Name = components["schemas"]["Name"];

/** A term's name in the admin's language, the other when that one is empty. */
export function nameIn(lang: Lang, term: Name): string {
  const own = lang === "en" ? term.name_en : term.name_fa;
  return own || term.name;
}

/** An option's group label in the admin's language, else in the other. */
export function groupIn(lang: Lang, option: { group_fa: string; group_en: string; group_name: string }): string {
  return (lang === "en" ? option.group_en : option.group_fa) || option.group_name;
}

/** The language `nameIn` gives the name in. */
function nameLang(lang: Lang, term: Name): Lang {
  return (lang === "en" ? term.name_en : term.name_fa) ? lang : term.lang;
}

interface Row extends Name {
  id: number;
  slug: string;
  extra?: string;
  /** The language `extra` is written in, when known (a parent category's name). */
  extraLang?: Lang;
}

/** A term form's values, by field name (all strings: the inputs' values). */
type Values = Record<string, string>;

interface Field {
  name: string;
  label: Key;
  choices?: { value: string; label: string }[];
}

/** The open term's detail query: the form starts from it once read for this visit. */
interface Detail<T> {
  data: T | undefined;
  ready: boolean;
  error: Error | null;
  retry: () => void;
}

interface Callbacks<T> {
  onSuccess: (row: T) => void;
  onError: (error: Error) => void;
}

/** A term as its detail reads it: with the version an edit and a delete send in If-Match. */
type Versioned = Row & { version: number };

interface ScreenProps<T extends Versioned> {
  kind: "categories" | "tags" | "options";
  /** The kinds the public site has a page for (crates/web/src/pages/terms.rs). */
  sitePages?: "categories" | "tags";
  rows: Row[] | undefined;
  isPending: boolean;
  error: Error | null;
  retry: () => void;
  fields: Field[];
  extraLabel?: Key;
  /** The id of the term being edited (null: the form creates one), and how to open another. */
  editing: number | null;
  onEdit: (id: number | null) => void;
  detail: Detail<T>;
  valuesOf: (row: T | undefined) => Values;
  create: (values: Values, done: () => void) => void;
  /** A PATCH of the changed fields only, against the version they were made from. */
  update: (id: number, changes: Partial<Values>, ifMatch: number | undefined, callbacks: Callbacks<T>) => void;
  saving: boolean;
  saveError: Error | null;
  remove: (id: number, ifMatch: number | undefined) => void;
  removeError: Error | null;
}

interface TermUpdate {
  id: number;
  changes: Partial<Values>;
  ifMatch?: number;
}

const NAME_FIELDS: Field[] = [
  { name: "name_fa", label: "nameFa" },
  { name: "name_en", label: "nameEn" },
  { name: "slug", label: "slug" },
];

export function Terms({ kind }: { kind: ScreenProps<Versioned>["kind"] }) {
  // A different kind is a different screen: no state crosses.
  if (kind === "categories") return <Categories key={kind} />;
  if (kind === "tags") return <Tags key={kind} />;
  return <Options key={kind} />;
}

const LIST = { page_size: 100 } as const;

/** The open term's detail, ready when read for this visit and for this id (not the previous
 * term's, which keepPreviousData shows while the next one loads). */
function detailOf<T extends { id: number }>(editing: number | null, query: UseQueryResult<T>): Detail<T> {
  return {
    data: query.data,
    ready: editing !== null && query.data?.id === editing && query.isFetchedAfterMount && !query.isPlaceholderData,
    error: query.error,
    retry: () => void query.refetch(),
  };
}

function Categories() {
  const { lang, t } = useI18n();
  const [editing, setEditing] = useState<number | null>(null);
  const detail = useAdminQuery("categories", "/api/admin/categories/{id}/", { params: { id: editing ?? 0 } }, editing !== null, WHILE_EDITING);
  const list = useAdminQuery("categories", "/api/admin/categories/", { query: { ...LIST, app: "real_estate", ordering: "name" } });
  const create = useAdminMutation("post", "/api/admin/categories/", (v: Values) => ({ body: { ...categoryBody(v), name: v.name_fa ?? "", app: "real_estate" as const } }));
  const update = useAdminMutation("patch", "/api/admin/categories/{id}/", ({ id, changes, ifMatch }: TermUpdate) => ({ params: { id }, body: categoryBody(changes), ifMatch }));
  const remove = useAdminMutation("delete", "/api/admin/categories/{id}/", ({ id, ifMatch }: { id: number; ifMatch?: number }) => ({ params: { id }, ifMatch }));
  const results = list.data?.results;
  const rows = results?.map((c) => {
    const parent = results.find((p) => p.id === c.parent);
    return { ...c, extra: parent ? nameIn(lang, parent) : "", extraLang: parent ? nameLang(lang, parent) : undefined };
  });
  return (
    <Screen
      kind="categories"
      sitePages="categories"
      rows={rows}
      isPending={list.isPending}
      error={list.error}
      retry={() => void list.refetch()}
      fields={[...NAME_FIELDS, { name: "parent", label: "parent", choices: [{ value: "", label: t("none") }, ...(results ?? []).map((c) => ({ value: String(c.id), label: nameIn(lang, c) }))] }]}
      extraLabel="parent"
      editing={editing}
      onEdit={setEditing}
      detail={detailOf(editing, detail)}
      valuesOf={(row) => ({ ...namesOf(row), parent: String(row?.parent ?? "") })}
      create={(v, done) => create.mutate(v, { onSuccess: done })}
      update={(id, changes, ifMatch, callbacks) => update.mutate({ id, changes, ifMatch }, callbacks)}
      saving={create.isPending || update.isPending}
      saveError={create.error ?? update.error}
      remove={(id, ifMatch) => remove.mutate({ id, ifMatch })}
      removeError={remove.error}
    />
  );
}

function categoryBody(v: Partial<Values>) {
  return { ...names(v), ...(v.parent === undefined ? {} : { parent: v.parent ? Number(v.parent) : null }) };
}

function Tags() {
  const [editing, setEditing] = useState<number | null>(null);
  const detail = useAdminQuery("tags", "/api/admin/tags/{id}/", { params: { id: editing ?? 0 } }, editing !== null, WHILE_EDITING);
  const list = useAdminQuery("tags", "/api/admin/tags/", { query: { ...LIST, ordering: "name" } });
  const create = useAdminMutation("post", "/api/admin/tags/", (v: Values) => ({ body: { ...names(v), name: v.name_fa ?? "" } }));
  const update = useAdminMutation("patch", "/api/admin/tags/{id}/", ({ id, changes, ifMatch }: TermUpdate) => ({ params: { id }, body: names(changes), ifMatch }));
  const remove = useAdminMutation("delete", "/api/admin/tags/{id}/", ({ id, ifMatch }: { id: number; ifMatch?: number }) => ({ params: { id }, query: { force: true }, ifMatch }));
  return (
    <Screen
      kind="tags"
      sitePages="tags"
      rows={list.data?.results}
      isPending={list.isPending}
      error={list.error}
      retry={() => void list.refetch()}
      fields={NAME_FIELDS}
      editing={editing}
      onEdit={setEditing}
      detail={detailOf(editing, detail)}
      valuesOf={namesOf}
      create={(v, done) => create.mutate(v, { onSuccess: done })}
      update={(id, changes, ifMatch, callbacks) => update.mutate({ id, changes, ifMatch }, callbacks)}
      saving={create.isPending || update.isPending}
      saveError={create.error ?? update.error}
      remove={(id, ifMatch) => remove.mutate({ id, ifMatch })}
      removeError={remove.error}
    />
  );
}

function Options() {
  const { lang } = useI18n();
  const [editing, setEditing] = useState<number | null>(null);
  const detail = useAdminQuery("options", "/api/admin/options/{id}/", { params: { id: editing ?? 0 } }, editing !== null, WHILE_EDITING);
  const list = useAdminQuery("options", "/api/admin/options/", { query: { ...LIST, ordering: "group" } });
  // The group's labels only: the server makes its key from them on create and keeps it after.
  const body = (v: Partial<Values>) => ({
    ...names(v),
    ...(v.group_fa === undefined ? {} : { group_fa: v.group_fa }),
    ...(v.group_en === undefined ? {} : { group_en: v.group_en }),
    ...(v.position === undefined ? {} : { position: Number(v.position) || 0 }),
  });
  const create = useAdminMutation("post", "/api/admin/options/", (v: Values) => ({ body: { ...body(v), name: v.name_fa ?? "" } }));
  const update = useAdminMutation("patch", "/api/admin/options/{id}/", ({ id, changes, ifMatch }: TermUpdate) => ({ params: { id }, body: body(changes), ifMatch }));
  const remove = useAdminMutation("delete", "/api/admin/options/{id}/", ({ id, ifMatch }: { id: number; ifMatch?: number }) => ({ params: { id }, query: { force: true }, ifMatch }));
  const results = list.data?.results;
  return (
    <Screen
      kind="options"
      rows={results?.map((o) => ({ ...o, extra: groupIn(lang, o) }))}
      isPending={list.isPending}
      error={list.error}
      retry={() => void list.refetch()}
      fields={[...NAME_FIELDS, { name: "group_fa", label: "groupFa" }, { name: "group_en", label: "groupEn" }, { name: "position", label: "position" }]}
      extraLabel="group"
      editing={editing}
      onEdit={setEditing}
      detail={detailOf(editing, detail)}
      valuesOf={(row) => ({ ...namesOf(row), group_fa: row?.group_fa ?? "", group_en: row?.group_en ?? "", position: String(row?.position ?? 0) })}
      create={(v, done) => create.mutate(v, { onSuccess: done })}
      update={(id, changes, ifMatch, callbacks) => update.mutate({ id, changes, ifMatch }, callbacks)}
      saving={create.isPending || update.isPending}
      saveError={create.error ?? update.error}
      remove={(id, ifMatch) => remove.mutate({ id, ifMatch })}
      removeError={remove.error}
    />
  );
}

/** The names among `v` as the API takes them. `name` is the default language's (Persian), as
 * for every translated field; an empty slug is made from the name by the server, so it is not
 * sent. */
function names(v: Partial<Values>) {
  return {
    ...(v.name_fa === undefined ? {} : { name: v.name_fa, name_fa: v.name_fa }),
    ...(v.name_en === undefined ? {} : { name_en: v.name_en }),
    ...(v.slug ? { slug: v.slug } : {}),
  };
}

function namesOf(row: Row | undefined): Values {
  return { name_fa: row?.name_fa ?? "", name_en: row?.name_en ?? "", slug: row?.slug ?? "" };
}

const NEW: Record<ScreenProps<Versioned>["kind"], Key> = { categories: "newCategory", tags: "newTag", options: "newOption" };

function Screen<T extends Versioned>(props: ScreenProps<T>) {
  const { t, lang } = useI18n();
  // Bumped by each term created: the add form starts empty again.
  const [added, setAdded] = useState(0);
  // Which form saved last (null: the add form) and the save error before it: the add form and an
  // open term share the kind's save state, and each shows only what its own save brought.
  const [submitted, setSubmitted] = useState<{ by: number | null; before: Error | null } | null>(null);
  const own = (by: number | null) => ({
    saving: submitted?.by === by && props.saving,
    saveError: submitted?.by === by && props.saveError !== submitted.before ? props.saveError : null,
    create: (values: Values, done: () => void) => {
      setSubmitted({ by, before: props.saveError });
      props.create(values, done);
    },
    update: (id: number, changes: Partial<Values>, ifMatch: number | undefined, callbacks: Callbacks<T>) => {
      setSubmitted({ by, before: props.saveError });
      props.update(id, changes, ifMatch, callbacks);
    },
  });
  const rows = props.rows ?? [];
  const open = props.editing === null ? undefined : props.detail.data;
  // The list has no versions; the open term's detail has: its delete is conditional.
  const versionFor = (row: Row) => (open?.id === row.id ? open.version : undefined);
  const removeProblem = props.removeError instanceof ApiError && props.removeError.isConflict ? t("changedRetry") : props.removeError?.message;
  const columns = props.extraLabel ? 5 : 4;
  return (
    <Stack>
      <Title order={2}>{t(props.kind)}</Title>
      <Card withBorder>
        <TermForm key={added} {...props} {...own(null)} row={undefined} title={t(NEW[props.kind])} created={() => setAdded((n) => n + 1)} />
      </Card>
      {removeProblem && (
        <Alert color="red" role="alert">
          {removeProblem}
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
            {rows.map((row) => {
              const editing = props.editing === row.id;
              const name = nameIn(lang, row);
              return (
                <Fragment key={row.id}>
                  <Table.Tr data-id={row.id} data-editing={editing || undefined} className={editing ? "admin-row-editing" : undefined}>
                    <Table.Td dir="rtl" lang="fa">
                      {row.name_fa}
                    </Table.Td>
                    <Table.Td dir="ltr" lang="en">
                      {row.name_en}
                    </Table.Td>
                    <Table.Td dir="ltr" lang={langOf(row.slug)}>
                      {row.slug}
                    </Table.Td>
                    {props.extraLabel && (
                      <Table.Td dir="auto" lang={row.extraLang}>
                        {row.extra}
                      </Table.Td>
                    )}
                    <Table.Td>
                      <Group gap="xs">
                        <Button
                          size="xs"
                          variant={editing ? "filled" : "light"}
                          onClick={() => props.onEdit(editing ? null : row.id)}
                          aria-label={`${t("edit")} ${name}`}
                          aria-expanded={editing}
                          aria-controls={editing ? `term-edit-${row.id}` : undefined}
                        >
                          {t("edit")}
                        </Button>
                        <Button
                          size="xs"
                          variant="light"
                          color="red"
                          aria-label={`${t("delete")} ${name}`}
                          onClick={() => {
                            if (window.confirm(t("confirmDelete"))) props.remove(row.id, versionFor(row));
                          }}
                        >
                          {t("delete")}
                        </Button>
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                  {editing && (
                    <Table.Tr className="admin-row-editing">
                      <Table.Td colSpan={columns} id={`term-edit-${row.id}`}>
                        {open?.id === row.id && props.detail.ready ? (
                          <TermForm {...props} {...own(row.id)} row={open} title={fill(t("editingTerm"), { name })} titleLang={nameLang(lang, row)} />
                        ) : (
                          <QueryState isPending={props.detail.error === null} error={props.detail.error} isEmpty={false} retry={props.detail.retry}>
                            {null}
                          </QueryState>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  )}
                </Fragment>
              );
            })}
          </Table.Tbody>
        </Table>
      </QueryState>
    </Stack>
  );
}

interface TermFormProps<T extends Versioned> extends ScreenProps<T> {
  /** The term edited; undefined: the form adds one. */
  row: T | undefined;
  /** The form's heading: "New tag", "Editing: Villa". */
  title: string;
  titleLang?: Lang;
  /** After a term is added. */
  created?: () => void;
}

function TermForm<T extends Versioned>(props: TermFormProps<T>) {
  const { t, lang } = useI18n();
  const { row, fields } = props;
  const form = useVersionedForm(row, props.valuesOf);
  const site = useSiteInfo();
  const values = form.values;
  const errors = props.saveError instanceof ApiError ? props.saveError.fieldErrors : {};
  const close = () => props.onEdit(null);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (row === undefined) {
      props.create(values, () => props.created?.());
      return;
    }
    form.save(
      ({ changes, ifMatch, callbacks }) =>
        props.update(row.id, changes, ifMatch, {
          onSuccess: (saved) => {
            callbacks.onSuccess(saved);
            close();
          },
          onError: callbacks.onError,
        }),
      close,
    );
  };
  const problem = errors.non_field_errors ?? errors.detail ?? errors.name;
  const fieldOf = (name: string) => fields.find((field) => field.name === name);
  const input = (field: Field, first: boolean) =>
    field.choices ? (
      <Select key={field.name} name={field.name} label={t(field.label)} data={field.choices} value={values[field.name] ?? ""} onChange={(v) => form.set({ [field.name]: v ?? "" })} error={errors[field.name]?.join(" ")} allowDeselect={false} />
    ) : (
      <TextInput
        key={field.name}
        name={field.name}
        label={t(field.label)}
        value={values[field.name] ?? ""}
        onChange={(e) => form.set({ [field.name]: e.currentTarget.value })}
        error={errors[field.name]?.join(" ")}
        // The panel opened under its row: typing can start at once.
        autoFocus={row !== undefined && first}
        {...inputLang(field.name)}
      />
    );
  const laidOut = pairUp(fields);
  return (
    <form onSubmit={submit} aria-label={props.title} data-testid={row ? "term-edit" : "term-new"}>
      <Stack gap="sm">
        <Title order={3} size="h5">
          <bdi lang={props.titleLang}>{props.title}</bdi>
        </Title>
        <Conflicts
          form={form}
          label={(name) => {
            const field = fieldOf(name);
            return field ? t(field.label) : name;
          }}
          show={(name, value) => fieldOf(name)?.choices?.find((choice) => choice.value === value)?.label ?? String(value)}
        />
        {laidOut.map((item, i) =>
          "name" in item ? null : (
            <Pair key={item[0].name}>
              {input(item[0], i === 0)}
              {input(item[1], false)}
            </Pair>
          ),
        )}
        <Group align="end">
          {laidOut.map((item, i) => ("name" in item ? input(item, i === 0) : null))}
          <Button type="submit" loading={props.saving}>
            {row ? t("save") : t("create")}
          </Button>
          {row && (
            <Button variant="default" onClick={close}>
              {t("cancel")}
            </Button>
          )}
          {row && props.sitePages && site.data && (
            <Anchor href={sitePage(site.data.origin, lang, props.sitePages, row.slug)} target="_blank" rel="noopener" data-testid="view-on-site">
              {t("viewOnSite")}
            </Anchor>
          )}
        </Group>
        {problem && (
          <Alert color="red" role="alert">
            <Text dir="auto">{problem.join(" ")}</Text>
          </Alert>
        )}
      </Stack>
    </form>
  );
}
