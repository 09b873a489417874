import { Alert, Anchor, Button, Checkbox, Group, MultiSelect, Select, Stack, Text, TextInput, Title } from "@mantine/core";
import { type SyntheticEvent, useLayoutEffect, useRef } from "react";
import { useNavigate, useParams } from "react-router";

import { ApiError } from "../api/client";
import { WHILE_EDITING, useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { type SiteInfo, sitePage, useSiteInfo } from "../api/site";
import { asciiDigits, caretAfter, digitsBefore, formatDateTime, groupedNumber, instantOf, localInput, typedNumber } from "../format";
import { type Key, useI18n } from "../i18n";
import { type Currency, shownAmount, storedAmount, unitName } from "../money";
import { shownLang } from "../textLang";
import { Pair, fieldLang, inputLang } from "./Bilingual";
import { Conflicts } from "./Conflicts";
import { PropertyImages } from "./PropertyImages";
import { RichText, plainText } from "./RichText";
import { isScheduled } from "./scheduled";
import { QueryState } from "./State";
import { groupIn, nameIn } from "./Terms";
import { useVersionedForm } from "./useVersionedForm";
import { type FieldValue, isList } from "./versioned";

type Property = components["schemas"]["PropertyAdminVersioned"];
type Input = components["schemas"]["PropertyInput"];
type Status = components["schemas"]["PropertyStatus"];
type Name = components["schemas"]["Name"];

/** Each translated text's Persian and English fields, shown side by side. */
const TEXT_PAIRS = [
  [
    ["title_fa", "titleFa"],
    ["title_en", "titleEn"],
  ],
  [
    ["city_fa", "cityFa"],
    ["city_en", "cityEn"],
  ],
  [
    ["district_fa", "districtFa"],
    ["district_en", "districtEn"],
  ],
  [
    ["address_fa", "addressFa"],
    ["address_en", "addressEn"],
  ],
] as const satisfies readonly (readonly (readonly [keyof Input, Key])[])[];
const LONG_TEXTS = [
  ["description_fa", "descriptionFa"],
  ["description_en", "descriptionEn"],
] as const satisfies readonly (readonly [keyof Input, Key])[];
const TEXTS = TEXT_PAIRS.flat();

type TextField = (typeof TEXTS)[number][0] | (typeof LONG_TEXTS)[number][0];
type Patched = components["schemas"]["PatchedPropertyInput"];

/** The form's fields, flat, as versioned.ts compares them; ids as strings (the selects' values),
 * tags and options sorted (they are sets). Amounts are in the unit the site shows (tomans for
 * rials, by default), as the editor reads and types them: fieldsOf and patchOf convert exactly
 * (money.ts moves the decimal point in the string), so an untouched amount saves as stored. */
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
  /** `datetime-local` values, empty for none. */
  published_at: string;
  unpublish_at: string;
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
  published_at: "publishedAt",
  unpublish_at: "unpublishAt",
};

const ids = (items: readonly { id: number }[]) => items.map((item) => item.id).sort((a, b) => a - b).map(String);
const sorted = (values: string[]) => [...values].sort((a, b) => Number(a) - Number(b));

function fieldsOf(p: Property | undefined, currency: Currency): Fields {
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
    price: p ? shownAmount(p.price, currency) : "",
    deposit: p?.deposit ? shownAmount(p.deposit, currency) : "",
    area: p?.area ?? "",
    rooms: String(p?.rooms ?? 0),
    category: p?.category ? String(p.category.id) : null,
    tags: ids(p?.tags ?? []),
    options: ids(p?.options ?? []),
    featured: p?.featured ?? false,
    published_at: localInput(p?.published_at),
    unpublish_at: localInput(p?.unpublish_at),
  };
}

/** The request body for the fields given: all of them on create, the changed ones on edit. */
function patchOf(v: Partial<Fields>, currency: Currency): Patched {
  // The plain `title`/`city` are the default language's (Persian); the server reads both forms.
  // Numbers typed on a Persian keyboard are sent in ASCII digits, which the API reads.
  const body: Patched = {};
  for (const [field] of [...TEXTS, ...LONG_TEXTS]) if (v[field] !== undefined) body[field] = v[field];
  if (v.title_fa !== undefined) body.title = v.title_fa;
  if (v.city_fa !== undefined) body.city = v.city_fa;
  if (v.deal !== undefined) body.deal = v.deal;
  if (v.price !== undefined) body.price = storedAmount(v.price, currency);
  if (v.deposit !== undefined) body.deposit = v.deposit.trim() === "" ? null : storedAmount(v.deposit, currency);
  if (v.area !== undefined) body.area = asciiDigits(v.area);
  if (v.rooms !== undefined) body.rooms = Number(asciiDigits(v.rooms));
  if (v.category !== undefined) body.category = v.category === null ? null : Number(v.category);
  if (v.tags !== undefined) body.tags = v.tags.map(Number);
  if (v.options !== undefined) body.options = v.options.map(Number);
  if (v.featured !== undefined) body.featured = v.featured;
  if (v.published_at !== undefined) body.published_at = instantOf(v.published_at);
  if (v.unpublish_at !== undefined) body.unpublish_at = instantOf(v.unpublish_at);
  return body;
}

function inputOf(v: Fields, currency: Currency): Input {
  return { ...patchOf(v, currency), title: v.title_fa, city: v.city_fa, deal: v.deal, price: storedAmount(v.price, currency), area: asciiDigits(v.area) };
}

export function PropertyForm() {
  const { id } = useParams();
  const editing = id !== undefined;
  const property = useAdminQuery("properties", "/api/admin/properties/{id}/", { params: { id: Number(id) } }, editing, WHILE_EDITING);
  // Amounts are shown in the site's unit: the form waits for it.
  const site = useSiteInfo();
  return (
    // Not from a copy cached by an earlier visit (gcTime keeps it 30 s): the draft starts from a
    // read made for this visit, or saving it would write the old values back.
    <QueryState
      isPending={(editing && !property.isFetchedAfterMount) || site.isPending}
      error={property.error ?? site.error}
      isEmpty={false}
      retry={() => void (site.error ? site.refetch() : property.refetch())}
    >
      {/* The draft starts from that read; newer versions are merged into it (useVersionedForm). */}
      {site.data && <Form key={id ?? "new"} property={property.data} site={site.data} />}
      {/* Beside the form, not in it: images are saved on their own, at once. */}
      {property.data && <PropertyImages property={property.data} />}
    </QueryState>
  );
}

function Form({ property, site }: { property: Property | undefined; site: SiteInfo }) {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const { currency } = site;
  const form = useVersionedForm(property, (p) => fieldsOf(p, currency));
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
      create.mutate(inputOf(draft, currency), { onSuccess: (saved) => void navigate(`/properties/${saved.id}`, { replace: true }) });
      return;
    }
    form.save(({ changes, ifMatch, callbacks }) => update.mutate({ body: patchOf(changes, currency), ifMatch }, callbacks));
  };
  // How a value reads in the conflict panel: names, not ids.
  const show = (field: keyof Fields, value: FieldValue): string => {
    const named = (list: readonly (Name & { id: number })[] | undefined, id: string | number) => {
      const term = list?.find((item) => String(item.id) === String(id));
      return term ? nameIn(lang, term) : String(id);
    };
    if (field === "deal") return t(value === "rent" ? "rent" : "sale");
    if (field === "featured") return t(value === true ? "yes" : "no");
    if (field === "published_at" || field === "unpublish_at") return value === "" ? "" : formatDateTime(instantOf(String(value)), lang);
    if (field === "category") return value === null ? "" : named(categories.data?.results, String(value));
    if (isList(value)) return value.map((item) => named((field === "tags" ? tags : options).data?.results, item)).join(lang === "fa" ? "، " : ", ");
    if (field === "description_fa" || field === "description_en") return plainText(String(value));
    if ((field === "price" || field === "deposit") && value !== "") return `${groupedNumber(String(value), lang)} ${unit}`;
    return String(value ?? "");
  };
  const setText = (field: TextField, value: string) => form.set({ [field]: value });
  const unit = unitName(currency, lang);
  // Under the area, how it reads (grouped, in the language's digits) while it reads
  // differently from what was typed.
  const reads = (value: string) => {
    const read = groupedNumber(typedNumber(value), lang);
    return read === value ? undefined : read;
  };
  const textInput = (field: TextField, label: Key) => (
    <TextInput
      key={field}
      name={field}
      label={t(label)}
      value={draft[field]}
      onChange={(e) => setText(field, e.currentTarget.value)}
      error={error(field) ?? (field.endsWith("_fa") ? error(field.slice(0, -3)) : undefined)}
      {...inputLang(field)}
    />
  );

  // When the property is public: the browser's date and time picker, in its time zone.
  const timeInput = (field: "published_at" | "unpublish_at", label: Key, hint: Key) => (
    <TextInput
      type="datetime-local"
      name={field}
      label={t(label)}
      description={t(hint)}
      value={draft[field]}
      onChange={(e) => form.set({ [field]: e.currentTarget.value })}
      error={error(field)}
      dir="ltr"
    />
  );

  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={900}>
        <Group justify="space-between">
          <Title order={2} dir="auto">
            {property ? (
              <>
                {t("editProperty")}: <bdi lang={shownLang(property, "title")}>{property.title}</bdi>
              </>
            ) : (
              t("newProperty")
            )}
          </Title>
          {property && (
            <Group data-testid="status-actions">
              <Text>
                {t("status")}: {t(property.status)}
              </Text>
              <OnSite property={property} origin={site.origin} />
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
        {TEXT_PAIRS.map(([[fa, faLabel], [en, enLabel]]) => (
          <Pair key={fa}>
            {textInput(fa, faLabel)}
            {textInput(en, enLabel)}
          </Pair>
        ))}
        <Pair>
          {LONG_TEXTS.map(([field, label]) => (
            <RichText key={field} name={field} label={t(label)} lang={fieldLang(field) ?? lang} value={draft[field]} onChange={(html) => setText(field, html)} error={error(field)} />
          ))}
        </Pair>
        {/* Not SimpleGrid: it writes its columns into a <style> element, which the CSP refuses. */}
        <div className="admin-form-grid">
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
          <AmountInput name="price" label={`${t("price")} (${unit})`} value={draft.price} onChange={(price) => form.set({ price })} error={error("price")} />
          <AmountInput name="deposit" label={`${t("deposit")} (${unit})`} value={draft.deposit} onChange={(deposit) => form.set({ deposit })} error={error("deposit")} />
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
            data={(options.data?.results ?? []).map((option) => ({ value: String(option.id), label: `${groupIn(lang, option)}: ${nameIn(lang, option)}` }))}
            value={draft.options}
            onChange={(value) => form.set({ options: sorted(value) })}
            error={error("options") ?? options.error?.message}
            searchable
          />
          <Checkbox name="featured" label={t("featured")} checked={draft.featured} onChange={(e) => form.set({ featured: e.currentTarget.checked })} error={error("featured")} />
          {timeInput("published_at", "publishedAt", "publishedAtHint")}
          {timeInput("unpublish_at", "unpublishAt", "unpublishAtHint")}
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

interface AmountProps {
  name: string;
  label: string;
  /** The amount in the shown unit, as typedNumber keeps it. */
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
}

/** An amount grouped as the site writes it ("۲٬۶۴۴٬۲۰۰٬۰۰۰"), also while it is typed: the
 * field keeps the plain number, and after each keystroke the caret goes back after the digits
 * it followed (regrouping would otherwise move it). */
function AmountInput({ name, label, value, onChange, error }: AmountProps) {
  const { lang } = useI18n();
  const input = useRef<HTMLInputElement>(null);
  const caret = useRef<number | null>(null);
  const shown = groupedNumber(value, lang);
  useLayoutEffect(() => {
    const element = input.current;
    if (caret.current === null || element === null || document.activeElement !== element) return;
    const at = caretAfter(shown, caret.current);
    element.setSelectionRange(at, at);
    caret.current = null;
  });
  return (
    <TextInput
      ref={input}
      name={name}
      label={label}
      value={shown}
      onChange={(e) => {
        const typed = e.currentTarget.value;
        caret.current = digitsBefore(typed, e.currentTarget.selectionStart ?? typed.length);
        onChange(typedNumber(typed));
      }}
      error={error}
      inputMode="decimal"
      dir="ltr"
    />
  );
}

/** The public page of a published property, in the editor's language; else why there is none. */
function OnSite({ property, origin }: { property: Property; origin: string }) {
  const { t, lang } = useI18n();
  if (property.status !== "published")
    return (
      <Text size="sm" c="gray.7" data-testid="not-on-site">
        {t("notOnSite")}
      </Text>
    );
  // Its page exists once its time has come: until then, when that is.
  if (isScheduled(property))
    return (
      <Text size="sm" c="gray.7" data-testid="scheduled">
        {t("scheduledFrom")} {formatDateTime(property.published_at, lang)}
      </Text>
    );
  return (
    <Anchor href={sitePage(origin, lang, "properties", property.slug)} target="_blank" rel="noopener" data-testid="view-on-site">
      {t("viewOnSite")}
    </Anchor>
  );
}
