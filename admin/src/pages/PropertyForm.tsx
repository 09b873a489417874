import { Alert, Button, Checkbox, Group, MultiSelect, Select, Stack, Text, TextInput, Textarea, Title } from "@mantine/core";
import { type SyntheticEvent, useState } from "react";
import { useNavigate, useParams } from "react-router";

import { ApiError } from "../api/client";
import { useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { asciiDigits, formatDecimal, isDecimal } from "../format";
import { type Key, useI18n } from "../i18n";
import { PropertyImages } from "./PropertyImages";
import { QueryState } from "./State";
import { nameIn } from "./Terms";

type Property = components["schemas"]["PropertyAdmin"];
type Input = components["schemas"]["PropertyInput"];
type Status = components["schemas"]["PropertyStatus"];

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

interface Draft {
  texts: Record<(typeof TEXTS)[number][0] | (typeof LONG_TEXTS)[number][0], string>;
  deal: Input["deal"];
  price: string;
  deposit: string;
  area: string;
  rooms: string;
  category: string | null;
  tags: string[];
  options: string[];
  featured: boolean;
}

function draftOf(p: Property | undefined): Draft {
  return {
    texts: {
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
    },
    deal: p?.deal ?? "sale",
    price: p?.price ?? "",
    deposit: p?.deposit ?? "",
    area: p?.area ?? "",
    rooms: String(p?.rooms ?? 0),
    category: p?.category ? String(p.category.id) : null,
    tags: p?.tags.map((tag) => String(tag.id)) ?? [],
    options: p?.options.map((option) => String(option.id)) ?? [],
    featured: p?.featured ?? false,
  };
}

function inputOf(draft: Draft): Input {
  // The plain `title`/`city` are the default language's (Persian); the server reads both forms.
  // Numbers typed on a Persian keyboard are sent in ASCII digits, which the API reads.
  const deposit = asciiDigits(draft.deposit);
  return {
    ...draft.texts,
    title: draft.texts.title_fa,
    city: draft.texts.city_fa,
    deal: draft.deal,
    price: asciiDigits(draft.price),
    deposit: deposit === "" ? null : deposit,
    area: asciiDigits(draft.area),
    rooms: Number(asciiDigits(draft.rooms)),
    category: draft.category === null ? null : Number(draft.category),
    tags: draft.tags.map(Number),
    options: draft.options.map(Number),
    featured: draft.featured,
  };
}

export function PropertyForm() {
  const { id } = useParams();
  const editing = id !== undefined;
  const property = useAdminQuery("properties", "/api/admin/properties/{id}/", { params: { id: Number(id) } }, editing);
  return (
    // Not from a copy cached by an earlier visit (gcTime keeps it 30 s): the draft starts from a
    // read made for this visit, or saving it would write the old values back.
    <QueryState isPending={editing && !property.isFetchedAfterMount} error={property.error} isEmpty={false} retry={() => void property.refetch()}>
      {/* The draft starts from that read; labels, status and choices stay live. */}
      <Form key={id ?? "new"} property={property.data} />
      {/* Beside the form, not in it: images are saved on their own, at once. */}
      {property.data && <PropertyImages property={property.data} />}
    </QueryState>
  );
}

function Form({ property }: { property: Property | undefined }) {
  const { t, lang } = useI18n();
  const navigate = useNavigate();
  const [draft, setDraft] = useState(() => draftOf(property));
  const terms = { page_size: 100 };
  const categories = useAdminQuery("categories", "/api/admin/categories/", { query: { ...terms, app: "real_estate", ordering: "name" } });
  const tags = useAdminQuery("tags", "/api/admin/tags/", { query: { ...terms, ordering: "name" } });
  const options = useAdminQuery("options", "/api/admin/options/", { query: { ...terms, ordering: "group" } });
  const create = useAdminMutation("post", "/api/admin/properties/", (body: Input) => ({ body }));
  const update = useAdminMutation("patch", "/api/admin/properties/{id}/", (body: Input) => ({
    params: { id: property?.id ?? 0 },
    body,
  }));
  const status = useAdminMutation("post", "/api/admin/properties/{id}/status/", (next: Status) => ({
    params: { id: property?.id ?? 0 },
    body: { status: next },
  }));
  const save = property ? update : create;
  const errors = save.error instanceof ApiError ? save.error.fieldErrors : {};
  const error = (field: string) => errors[field]?.join(" ");

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    save.mutate(inputOf(draft), {
      onSuccess: (saved) => {
        if (!property) void navigate(`/properties/${saved.id}`, { replace: true });
      },
    });
  };
  const setText = (field: keyof Draft["texts"], value: string) => setDraft({ ...draft, texts: { ...draft.texts, [field]: value } });
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
        {(errors.non_field_errors ?? errors.detail) && (
          <Alert color="red" role="alert">
            {(errors.non_field_errors ?? errors.detail ?? []).join(" ")}
          </Alert>
        )}
        {save.isSuccess && (
          <Text c="green" role="status">
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
              value={draft.texts[field]}
              onChange={(e) => setText(field, e.currentTarget.value)}
              error={error(field) ?? (field.endsWith("_fa") ? error(field.slice(0, -3)) : undefined)}
              dir="auto"
            />
          ))}
          {LONG_TEXTS.map(([field, label]) => (
            <Textarea key={field} name={field} label={t(label)} value={draft.texts[field]} onChange={(e) => setText(field, e.currentTarget.value)} error={error(field)} autosize minRows={3} dir="auto" />
          ))}
          <Select
            name="deal"
            label={t("deal")}
            data={[
              { value: "sale", label: t("sale") },
              { value: "rent", label: t("rent") },
            ]}
            value={draft.deal}
            onChange={(value) => setDraft({ ...draft, deal: value === "rent" ? "rent" : "sale" })}
            error={error("deal")}
            allowDeselect={false}
          />
          <TextInput name="price" label={t("price")} value={draft.price} onChange={(e) => setDraft({ ...draft, price: e.currentTarget.value })} error={error("price")} description={reads(draft.price)} inputMode="decimal" dir="ltr" />
          <TextInput name="deposit" label={t("deposit")} value={draft.deposit} onChange={(e) => setDraft({ ...draft, deposit: e.currentTarget.value })} error={error("deposit")} description={reads(draft.deposit)} inputMode="decimal" dir="ltr" />
          <TextInput name="area" label={t("area")} value={draft.area} onChange={(e) => setDraft({ ...draft, area: e.currentTarget.value })} error={error("area")} description={reads(draft.area)} inputMode="decimal" dir="ltr" />
          <TextInput name="rooms" label={t("rooms")} value={draft.rooms} onChange={(e) => setDraft({ ...draft, rooms: e.currentTarget.value })} error={error("rooms")} inputMode="numeric" dir="ltr" />
          <Select
            name="category"
            label={t("category")}
            data={(categories.data?.results ?? []).map((c) => ({ value: String(c.id), label: nameIn(lang, c) }))}
            value={draft.category}
            onChange={(value) => setDraft({ ...draft, category: value })}
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
            onChange={(value) => setDraft({ ...draft, tags: value })}
            error={error("tags") ?? tags.error?.message}
            searchable
          />
          <MultiSelect
            name="options"
            label={t("options")}
            data={(options.data?.results ?? []).map((option) => ({ value: String(option.id), label: `${option.group}: ${nameIn(lang, option)}` }))}
            value={draft.options}
            onChange={(value) => setDraft({ ...draft, options: value })}
            error={error("options") ?? options.error?.message}
            searchable
          />
          <Checkbox name="featured" label={t("featured")} checked={draft.featured} onChange={(e) => setDraft({ ...draft, featured: e.currentTarget.checked })} error={error("featured")} />
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
