// The language of a text the API does not label (usernames, slugs, image descriptions), told by
// its script as the server's migrations told it: Persian with an Arabic-script letter, English
// with a Latin one, else unknown. Written as the element's `lang`, so that a screen reader reads
// it in its own language (a Persian voice spelling "admin" out helps nobody).
import type { Lang } from "./i18n";

export function langOf(text: string): Lang | undefined {
  if (/\p{Script=Arabic}/u.test(text)) return "fa";
  return /[A-Za-z]/.test(text) ? "en" : undefined;
}

/** The language an API answer's text is in: the answer's `lang`, or the other one for a field
 * that fell back to it (`fallback`: empty in the language asked for). */
export function shownLang(answer: { lang: Lang; fallback: readonly string[] }, field: string): Lang {
  if (!answer.fallback.includes(field)) return answer.lang;
  return answer.lang === "fa" ? "en" : "fa";
}
