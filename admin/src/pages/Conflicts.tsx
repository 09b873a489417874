// What an edit form shows when its object was saved elsewhere while it was open: a refused save
// (412), each field both sides changed with their value and the editor's to choose from (a
// radio group per field: labelled, keyboard-operable, laid out by the page's direction), and
// the fields that quietly took the other side's values while the editor had changes.
import { Alert, Paper, Radio, Stack, Text } from "@mantine/core";

import { useI18n } from "../i18n";
import type { VersionedForm } from "./useVersionedForm";
import type { Field, FieldValue, Values } from "./versioned";

interface Props<T, V extends Values> {
  form: VersionedForm<T, V>;
  label: (field: Field<V>) => string;
  /** A value as the editor reads it (a category's name, not its id); "" reads "(empty)". */
  show: (field: Field<V>, value: FieldValue) => string;
}

/** Moves the focus to the first conflict still without a choice (a save waits for it). */
export function focusConflict(): void {
  document.querySelector<HTMLInputElement>('[data-choice="none"] input[type="radio"]')?.focus();
}

export function Conflicts<T, V extends Values>({ form, label, show }: Props<T, V>) {
  const { t, lang } = useI18n();
  const read = (field: Field<V>, value: FieldValue) => show(field, value) || t("emptyValue");
  return (
    <>
      {(form.refused || form.conflicts.length > 0) && (
        <Alert color="red" role="alert" title={t("changedElsewhere")} data-testid="changed-elsewhere">
          <Stack gap="xs">
            {form.refused && <Text size="sm">{t("refusedStale")}</Text>}
            {form.conflicts.length > 0 && <Text size="sm">{t("chooseEach")}</Text>}
          </Stack>
        </Alert>
      )}
      {form.conflicts.map((conflict) => (
        <Paper key={conflict.field} withBorder p="sm" className="admin-conflict" data-testid={`conflict-${conflict.field}`} data-choice={conflict.choice ?? "none"}>
          <Radio.Group
            name={`conflict-${conflict.field}`}
            label={label(conflict.field)}
            value={conflict.choice ?? null}
            onChange={(value) => form.choose(conflict.field, value === "theirs" ? "theirs" : "mine")}
            withAsterisk
          >
            <Stack gap="xs" mt="xs">
              {(["theirs", "mine"] as const).map((side) => (
                <Radio
                  key={side}
                  value={side}
                  label={t(side === "theirs" ? "theirValue" : "yourValue")}
                  description={<bdi dir="auto">{read(conflict.field, conflict[side])}</bdi>}
                />
              ))}
            </Stack>
          </Radio.Group>
        </Paper>
      ))}
      {form.taken.length > 0 && (
        <Alert color="blue" aria-live="polite" data-testid="taken-from-elsewhere">
          <Text size="sm">
            {t("takenFromElsewhere")} {form.taken.map(label).join(lang === "fa" ? "، " : ", ")}
          </Text>
        </Alert>
      )}
    </>
  );
}
