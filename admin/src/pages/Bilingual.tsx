// The Persian and English fields of one translated text (title_fa / title_en, name_fa /
// name_en…): side by side, Persian first in the reading direction, stacked on a narrow screen
// (admin.css), each input in its own language and direction whatever the admin's language.
import type { ReactNode } from "react";

import type { Lang } from "../i18n";

/** The language a field's name says (`…_fa`, `…_en`), if any. */
export function fieldLang(name: string): Lang | undefined {
  return name.endsWith("_fa") ? "fa" : name.endsWith("_en") ? "en" : undefined;
}

/** An input's `lang` and `dir` for a field: its language's, or `dir="auto"` for a text in no
 * one language (a slug). */
export function inputLang(name: string): { lang?: Lang; dir: "rtl" | "ltr" | "auto" } {
  const lang = fieldLang(name);
  return lang === undefined ? { dir: "auto" } : { lang, dir: lang === "fa" ? "rtl" : "ltr" };
}

export function Pair({ children }: { children: ReactNode }) {
  return <div className="admin-pair">{children}</div>;
}

/** `fields` in order, with each `…_fa` field directly followed by its `…_en` one as a pair. */
export function pairUp<F extends { name: string }>(fields: readonly F[]): (F | readonly [F, F])[] {
  const out: (F | readonly [F, F])[] = [];
  for (let i = 0; i < fields.length; i += 1) {
    const [field, next] = [fields[i], fields[i + 1]];
    if (field === undefined) continue;
    if (next !== undefined && fieldLang(field.name) === "fa" && next.name === `${field.name.slice(0, -3)}_en`) {
      out.push([field, next]);
      i += 1;
    } else {
      out.push(field);
    }
  }
  return out;
}
