import { Alert, Button, Checkbox, Group, MultiSelect, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import type { SyntheticEvent } from "react";
import { useNavigate, useParams } from "react-router";

import { ApiError } from "../api/client";
import { WHILE_EDITING, useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { asciiDigits, formatDecimal, isDecimal } from "../format";
import { type Key, useI18n } from "../i18n";
import { Conflicts } from "./Conflicts";
import { PropertyImages } from "./PropertyImages";
import { RichText, plainText } from "./RichText";
import { QueryState } from "./State";
import { nameIn } from "./Terms";
import { useVersionedForm } from "./useVersionedForm";
import { type FieldValue, isList } from "./versioned";

type Property = components["schemas"]["PropertyAdminVersioned"];
type Input = components["schemas"]["PropertyInput"];
type Status = components["schemas"]["PropertyStatus"];
type Name = components["schemas"]["Name"];

const TEXTS = [
  ["title_fa", "titleFa"],
  ["title_en", "titleEn"],
  ["city_fa", "cityFa"],
  ["city_en", "cityEn"],
  ["district_fa", "districtFa"],
  ["district_en", "districtEn"],
  ["address_fa", "addressFa"],
  ["address_en", "addressEn"],
] as const satisfies readonly (readonly [keyof Input, Key])[];
const LONG_TEXTS = [
  ["description_fa", "descriptionFa"],
  ["description_en", "descriptionEn"],
] as const satisfies readonly (readonly [keyof Input, Key])[];

type TextField = (typeof TEXTS)[number][0] | (typeof LONG_TEXTS)[number][0];
type Patched = components["schemas"]["PatchedPropertyInput"];

/** The form's fields, flat, as versioned.ts compares them; ids as strings (the selects' values),
 * tags and options sorted (they are sets). */
type Fields = Record<TextField, string> & {
  deal: Input["deal"];
  price: string;
  deposit: string;
  area: string;
  rooms: string;
  category: string | null;
  tags: string[];
  options: string[];
  featured: boolean;
};

const LABELS: Record<keyof Fields, Key> = {
  ...(Object.fromEntries([...TEXTS, ...LONG_TEXTS]) as Record<TextField, Key>),
  deal: "deal",
  price: "price",
  deposit: "deposit",
  area: "area",
  rooms: "rooms",
  category: "category",
  tags: "tags",
  options: "options",
  featured: "featured",
};

const ids = (items: readonly { id: number }[]) => items.map((item) => item.id).sort((a, b) => a - b).map(String);
const sorted = (values: string[]) => [...values].sort((a, b) => Number(a) - Number(b));

function fieldsOf(p: Property | undefined): Fields {
  return {
    title_fa: p?.title_fa ?? "",
    title_en: p?.title_en ?? "",
    city_fa: p?.city_fa ?? "",
    city_en: p?.city_en ?? "",
    district_fa: p?.district_fa ?? "",
    district_en: p?.district_en ?? "",
    address_fa: p?.address_fa ?? "",
    address_en: p?.address_en ?? "",
    description_fa: p?.description_fa ?? "",
    description_en: p?.description_en ?? "",
    deal: p?.deal ?? "sale",
    price: p?.price ?? "",
    deposit: p?.deposit ?? "",
    area: p?.area ?? "",
    rooms: String(p?.rooms ?? 0),
    category: p?.category ? String(p.category.id) : null,
    tags: ids(p?.tags ?? []),
    options: ids(p?.options ?? []),
    featured: p?.featured ?? false,
  };
}

/** The request body for the fields given: all of them on create, the changed ones on edit. */
function patchOf(v: Partial<Fields>): Patched {
  // The plain `title`/`city` are the default language's (Persian); the server reads both forms.
  // Numbers typed on a Persian keyboard are sent in ASCII digits, which the API reads.
  const body: Patched = {};
  for (const [field] of [...TEXTS, ...LONG_TEXTS]) if (v[field] !== undefined) body[field] = v[field];
  if (v.title_fa !== undefined) body.title = v.title_fa;
  if (v.city_fa !== undefined) body.city = v.city_fa;
  if (v.deal !== undefined) body.deal = v.deal;
  if (v.price !== undefined) body.price = asciiDigits(v.price);
  if (v.deposit !== undefined) body.deposit = asciiDigits(v.deposit) === "" ? null : asciiDigits(v.deposit);
  if (v.area !== undefined) body.area = asciiDigits(v.area);
  if (v.rooms !== undefined) body.rooms = Number(asciiDigits(v.rooms));
  if (v.category !== undefined) body.category = v.category === null ? null : Number(v.category);
  if (v.tags !== undefined) body.tags = v.tags.map(Number);
  if (v.options !== undefined) body.options = v.options.map(Number);
  if (v.featured !== undefined) body.featured = v.featured;
  return body;
}

function inputOf(v: Fields): Input {
  return { ...patchOf(v), title: v.title_fa, city: v.city_fa, deal: v.deal, price: asciiDigits(v.price), area: asciiDigits(v.area) };
}

export function PropertyForm() {
  const { id } = useParams();
  const editing = id !== undefined;
  const property = useAdminQuery("properties", "/api/admin/properties/{id}/", { params: { id: Number(id) } }, editing, WHILE_EDITING);
  return (
    // Not from a copy cached by an earlier visit (gcTime keeps it 30 s): the draft starts from a
    // read made for this visit, or saving it would write the old values back.
    <QueryState isPending={editing && !property.isFetchedAfterMount} error={property.error} isEmpty={false} retry={() => void property.refetch()}>
      {/* The draft starts from that read; newer versions are merged into it (useVersionedForm). */}
      <Form key={id ?? "new"} property={property.data} />
      {/* Beside the form, not in it: images are saved on their own, at once. */}
      {property.data && <PropertyImages property={property.data} />}
    </QueryState>
  );
}

function Form({ property }: { property: Property | undefined }) {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const form = useVersionedForm(property, fieldsOf);
  const draft = form.values;
  const terms = { page_size: 100 };
  const categories = useAdminQuery("categories", "/api/admin/categories/", { query: { ...terms, app: "real_estate", ordering: "name" } });
  const tags = useAdminQuery("tags", "/api/admin/tags/", { query: { ...terms, ordering: "name" } });
  const options = useAdminQuery("options", "/api/admin/options/", { query: { ...terms, ordering: "group" } });
  const create = useAdminMutation("post", "/api/admin/properties/", (body: Input) => ({ body }));
  const update = useAdminMutation("patch", "/api/admin/properties/{id}/", ({ body, ifMatch }: { body: Patched; ifMatch?: number }) => ({
    params: { id: property?.id ?? 0 },
    body,
    ifMatch,
  }));
  const status = useAdminMutation("post", "/api/admin/properties/{id}/status/", (next: Status) => ({
    params: { id: property?.id ?? 0 },
    body: { status: next },
    // The version on screen (the heading's): a status change made elsewhere since is refused.
    ifMatch: property?.version,
  }));
  const save = property ? update : create;
  const errors = save.error instanceof ApiError ? save.error.fieldErrors : {};
  const error = (field: string) => errors[field]?.join(" ");
  const statusError = status.error instanceof ApiError && status.error.isConflict ? t("changedRetry") : status.error?.message;

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    if (!property) {
      create.mutate(inputOf(draft), { onSuccess: (saved) => void navigate(`/properties/${saved.id}`, { replace: true }) });
      return;
    }
    form.save(({ changes, ifMatch, callbacks }) => update.mutate({ body: patchOf(changes), ifMatch }, callbacks));
  };
  // How a value reads in the conflict panel: names, not ids.
  const show = (field: keyof Fields, value: FieldValue): string => {
    const named = (list: readonly (Name & { id: number })[] | undefined, id: string | number) => {
      const term = list?.find((item) => String(item.id) === String(id));
      return term ? nameIn(lang, term) : String(id);
    };
    if (field === "deal") return t(value === "rent" ? "rent" : "sale");
    if (field === "featured") return t(value === true ? "yes" : "no");
    if (field === "category") return value === null ? "" : named(categories.data?.results, String(value));
    if (isList(value)) return value.map((item) => named((field === "tags" ? tags : options).data?.results, item)).join(lang === "fa" ? "، " : ", ");
    if (field === "description_fa" || field === "description_en") return plainText(String(value));
    return String(value ?? "");
  };
  const setText = (field: TextField, value: string) => form.set({ [field]: value });
  // Under an amount, how it reads (grouped, in the language's digits) while it is a number
  // that reads differently from what was typed.
  const reads = (value: string) => {
    const ascii = asciiDigits(value);
    const read = isDecimal(ascii) ? formatDecimal(ascii, lang) : value;
    return read === value ? undefined : read;
  };

  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={900}>
        <Group justify="space-between">
          <Title order={2} dir="auto">
            {property ? `${t("editProperty")}: ${property.title}` : t("newProperty")}
          </Title>
          {property && (
            <Group data-testid="status-actions">
              <Text>
                {t("status")}: {t(property.status)}
              </Text>
              {(["published", "archived", "draft"] as const)
                .filter((next) => next !== property.status)
                .map((next) => (
                  <Button key={next} variant="light" size="xs" onClick={() => status.mutate(next)} loading={status.isPending}>
                    {t(next === "published" ? "publish" : next === "archived" ? "archive" : "toDraft")}
                  </Button>
                ))}
            </Group>
          )}
        </Group>
        {statusError && (
          <Alert color="red" role="alert">
            {statusError}
          </Alert>
        )}
        <Conflicts form={form} label={(field) => t(LABELS[field])} show={show} />
        {(errors.non_field_errors ?? errors.detail) && (
          <Alert color="red" role="alert">
            {(errors.non_field_errors ?? errors.detail ?? []).join(" ")}
          </Alert>
        )}
        {save.isSuccess && (
          <Text c="teal.9" role="status">
            {t("saved")}
          </Text>
        )}
        {/* Not SimpleGrid: it writes its columns into a <style> element, which the CSP refuses. */}
        <div className="admin-form-grid">
          {TEXTS.map(([field, label]) => (
            <TextInput
              key={field}
              name={field}
              label={t(label)}
              value={draft[field]}
              onChange={(e) => setText(field, e.currentTarget.value)}
              error={error(field) ?? (field.endsWith("_fa") ? error(field.slice(0, -3)) : undefined)}
              dir="auto"
            />
          ))}
          {LONG_TEXTS.map(([field, label]) => (
            <RichText key={field} name={field} label={t(label)} value={draft[field]} onChange={(html) => setText(field, html)} error={error(field)} />
          ))}
          <Select
            name="deal"
            label={t("deal")}
            data={[
              { value: "sale", label: t("sale") },
              { value: "rent", label: t("rent") },
            ]}
            value={draft.deal}
            onChange={(value) => form.set({ deal: value === "rent" ? "rent" : "sale" })}
            error={error("deal")}
            allowDeselect={false}
          />
          <TextInput name="price" label={t("price")} value={draft.price} onChange={(e) => form.set({ price: e.currentTarget.value })} error={error("price")} description={reads(draft.price)} inputMode="decimal" dir="ltr" />
          <TextInput name="deposit" label={t("deposit")} value={draft.deposit} onChange={(e) => form.set({ deposit: e.currentTarget.value })} error={error("deposit")} description={reads(draft.deposit)} inputMode="decimal" dir="ltr" />
          <TextInput name="area" label={t("area")} value={draft.area} onChange={(e) => form.set({ area: e.currentTarget.value })} error={error("area")} description={reads(draft.area)} inputMode="decimal" dir="ltr" />
          <TextInput name="rooms" label={t("rooms")} value={draft.rooms} onChange={(e) => form.set({ rooms: e.currentTarget.value })} error={error("rooms")} inputMode="numeric" dir="ltr" />
          <Select
            name="category"
            label={t("category")}
            data={(categories.data?.results ?? []).map((c) => ({ value: String(c.id), label: nameIn(lang, c) }))}
            value={draft.category}
            onChange={(value) => form.set({ category: value })}
            error={error("category") ?? categories.error?.message}
            clearable
            searchable
            data-testid="category-select"
          />
          <MultiSelect
            name="tags"
            label={t("tags")}
            data={(tags.data?.results ?? []).map((tag) => ({ value: String(tag.id), label: nameIn(lang, tag) }))}
            value={draft.tags}
            onChange={(value) => form.set({ tags: sorted(value) })}
            error={error("tags") ?? tags.error?.message}
            searchable
          />
          <MultiSelect
            name="options"
            label={t("options")}
            data={(options.data?.results ?? []).map((option) => ({ value: String(option.id), label: `${option.group}: ${nameIn(lang, option)}` }))}
            value={draft.options}
            onChange={(value) => form.set({ options: sorted(value) })}
            error={error("options") ?? options.error?.message}
            searchable
          />
          <Checkbox name="featured" label={t("featured")} checked={draft.featured} onChange={(e) => form.set({ featured: e.currentTarget.checked })} error={error("featured")} />
        </div>
        <Group>
          <Button type="submit" loading={save.isPending}>
            {t("save")}
          </Button>
          <Button variant="default" onClick={() => void navigate("/properties")}>
            {t("cancel")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
