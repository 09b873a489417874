// What every paginated admin list shares: its title with the "new" button, its filters living in
// the URL (a reload, a shared link and the 401 round trip keep them), a search box that applies
// on Enter, filter selects, and the page count.
import { Button, Group, Select, TextInput, Title } from "@mantine/core";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { type Key, useI18n } from "../i18n";

/** `value` if it is one of `values` (a URL can say anything), else undefined. */
export function oneOf<T extends string>(values: readonly T[], value: string | null): T | undefined {
  return values.find((v) => v === value);
}

/** The URL's query and a setter: an empty value removes the parameter, and any change but the
 * page's goes back to page 1. `onChange` runs after each change (a list drops its selection). */
export function useUrlFilters(onChange?: () => void) {
  const [search, setSearch] = useSearchParams();
  const set = (name: string, value: string | null) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name !== "page") next.delete("page");
    setSearch(next);
    onChange?.();
  };
  const page = Number(search.get("page") ?? "1") || 1;
  return { search, set, page };
}

/** How many pages `count` rows make (at least one, so the pager always shows). */
export function pageCount(count: number | undefined, pageSize: number): number {
  return Math.max(1, Math.ceil((count ?? 0) / pageSize));
}

/** The list's search field: applied on Enter, as `?q=`. */
export function SearchBox({ value, onSearch }: { value: string | undefined; onSearch: (q: string) => void }) {
  const { t } = useI18n();
  const [q, setQ] = useState(value ?? "");
  return (
    <form
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch(q.trim());
      }}
    >
      <TextInput label={t("search")} type="search" name="q" value={q} onChange={(e) => setQ(e.currentTarget.value)} dir="auto" />
    </form>
  );
}

/** The list's title and its "new" button. */
export function ListHeader({ title, newTo, newLabel }: { title: Key; newTo: string; newLabel: Key }) {
  const { t } = useI18n();
  return (
    <Group justify="space-between" mb="md">
      <Title order={2}>{t(title)}</Title>
      <Button component={Link} to={newTo}>
        {t(newLabel)}
      </Button>
    </Group>
  );
}

interface FilterSelectProps {
  label: Key;
  choices: readonly { value: string; label: Key }[];
  value: string | undefined;
  /** Adds "All" (the parameter left out) before the choices; an ordering has no such choice. */
  all?: boolean;
  onChange: (value: string | null) => void;
}

/** One of a list's filters (or its ordering) as a select. */
export function FilterSelect({ label, choices, value, all = false, onChange }: FilterSelectProps) {
  const { t } = useI18n();
  const data = choices.map((choice) => ({ value: choice.value, label: t(choice.label) }));
  return (
    <Select
      label={t(label)}
      data={all ? [{ value: "", label: t("all") }, ...data] : data}
      value={value ?? (all ? "" : null)}
      onChange={onChange}
      allowDeselect={false}
    />
  );
}
