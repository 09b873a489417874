// Numbers, ratios and times in the admin's language: Persian digits and separators in Persian
// (fa-IR), Latin in English. One formatter per language and kind, made on first use.
import type { Lang } from "./i18n";

export const LOCALES: Record<Lang, string> = { fa: "fa-IR", en: "en-US" };

function cached<T>(make: (locale: string) => T): (lang: Lang) => T {
  const made = new Map<Lang, T>();
  return (lang) => {
    let formatter = made.get(lang);
    if (formatter === undefined) {
      formatter = make(LOCALES[lang]);
      made.set(lang, formatter);
    }
    return formatter;
  };
}

const integers = cached((locale) => new Intl.NumberFormat(locale));
const rates = cached((locale) => new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }));
const percents = cached((locale) => new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }));
const clock = cached((locale) => new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
const dates = cached((locale) => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }));

/** `1234` → "1,234" in English, "۱٬۲۳۴" in Persian. */
export function formatNumber(n: number, lang: Lang): string {
  return integers(lang).format(n);
}

/** A rate (requests per second): one decimal at most, "0.3", "۱۲٫۵". */
export function formatRate(n: number, lang: Lang): string {
  return rates(lang).format(n);
}

/** A ratio in [0, 1] as a whole percentage; null (nothing measured) as a dash. */
export function formatPercent(ratio: number | null | undefined, lang: Lang): string {
  return ratio === null || ratio === undefined ? "—" : percents(lang).format(ratio);
}

/** An ISO 8601 instant as the time of day, in the browser's time zone. */
export function formatClock(iso: string, lang: Lang): string {
  return clock(lang).format(new Date(iso));
}

/** An ISO 8601 instant as date and time (the Persian calendar in Persian); null as a dash. */
export function formatDateTime(iso: string | null, lang: Lang): string {
  return iso === null ? "—" : dates(lang).format(new Date(iso));
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO 8601 instant as a `datetime-local` input shows it: the browser's time zone, to the
 * minute ("2026-12-07T18:30"); null as empty. */
export function localInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const at = new Date(iso);
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/** What a `datetime-local` input holds, as the instant the API reads (UTC); empty as null. */
export function instantOf(local: string): string | null {
  return local === "" ? null : new Date(local).toISOString();
}

// Amounts come from the API as decimal strings ("4500000000.00"): formatted from the string
// itself (Intl reads it exactly), never through a float that would round large prices.
const wholeAmounts = cached((locale) => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }));
const fractionAmounts = new Map<string, Intl.NumberFormat>();
const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Whether `text` is a plain decimal (ASCII digits, an optional point): how the API writes
 * amounts, and what money.ts's conversions give. */
export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/** A price, deposit or area as the public site writes it: grouped, its fraction only when not
 * zero, with two digits at least and more only when they are not zero ("1500000.00" →
 * "۱٬۵۰۰٬۰۰۰", "120.50" → "۱۲۰٫۵۰", "0.125" → "0.125"); null or empty as a dash, and text that
 * is not a decimal as it is. */
export function formatDecimal(decimal: string | null | undefined, lang: Lang): string {
  if (decimal === null || decimal === undefined || decimal === "") return "—";
  if (!isDecimal(decimal)) return decimal;
  const places = (decimal.split(".")[1] ?? "").replace(/0+$/, "").length;
  if (places === 0) return wholeAmounts(lang).format(decimal as Intl.StringNumericLiteral);
  const digits = Math.max(2, places);
  const key = `${lang}:${digits}`;
  let formatter = fractionAmounts.get(key);
  if (formatter === undefined) {
    formatter = new Intl.NumberFormat(LOCALES[lang], { minimumFractionDigits: digits, maximumFractionDigits: digits });
    fractionAmounts.set(key, formatter);
  }
  return formatter.format(decimal as Intl.StringNumericLiteral);
}

/** Persian and Arabic-Indic digits (and the Arabic decimal separator) as ASCII: what a Persian
 * keyboard types into a number field, as the API reads it. */
export function asciiDigits(text: string): string {
  return text.replace(/[۰-۹٠-٩٫]/g, (c) => {
    if (c === "٫") return ".";
    const code = c.charCodeAt(0);
    return String(code >= 0x06f0 ? code - 0x06f0 : code - 0x0660);
  });
}

/** `text` with its ASCII digits as Persian writes them in Persian; as it is in English. */
function localDigits(text: string, lang: Lang): string {
  return lang === "en" ? text : text.replace(/[0-9]/g, (c) => String.fromCharCode(0x06f0 + Number(c)));
}

// A number field that groups its digits as they are typed (the property form's amounts): it
// keeps the plain number, shows it grouped, and puts the caret back after the same digits.
const GROUP_SEPARATORS = /[,٬]/g;
const NUMBER_SO_FAR = /^(-?)(\d*)(\.?)(\d*)$/;

/** What a number field keeps of what was typed: ASCII digits and point without group
 * separators when it reads as a number or the start of one ("1,500." → "1500."), else the text
 * (in ASCII digits), for the API to say what is wrong with it. */
export function typedNumber(typed: string): string {
  const ascii = asciiDigits(typed);
  const plain = ascii.replace(GROUP_SEPARATORS, "");
  return NUMBER_SO_FAR.test(plain) ? plain : ascii;
}

/** A kept number as its field shows it: grouped, in the language's digits and decimal point,
 * also while it is being typed ("1500000." → "۱٬۵۰۰٬۰۰۰٫"); other text as it is. */
export function groupedNumber(kept: string, lang: Lang): string {
  const match = NUMBER_SO_FAR.exec(kept);
  if (match === null) return kept;
  const [, sign = "", whole = "", point = "", fraction = ""] = match;
  const grouped = whole === "" ? "" : formatDecimal(whole, lang);
  return `${sign}${grouped}${point && (lang === "fa" ? "٫" : ".")}${localDigits(fraction, lang)}`;
}

/** How many characters of `typed`, up to `caret`, are not group separators. */
export function digitsBefore(typed: string, caret: number): number {
  return typed.slice(0, caret).replace(GROUP_SEPARATORS, "").length;
}

/** Where the caret goes in `shown` to stand after `count` characters that are not group
 * separators: after the digits it followed when they were typed. */
export function caretAfter(shown: string, count: number): number {
  let seen = 0;
  for (let i = 0; i < shown.length; i += 1) {
    if (seen === count) return i;
    if (!",٬".includes(shown.charAt(i))) seen += 1;
  }
  return shown.length;
}

// Persian spells the unit out ("مگابایت"); English keeps "MB" but says "bytes" ("29 byte" is
// Intl's short form). Durations likewise: "ثانیه", "sec".
function unitIn(unit: "byte" | "kilobyte" | "megabyte" | "second" | "minute" | "hour" | "day") {
  return cached(
    (locale) => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: locale === LOCALES.fa || unit === "byte" ? "long" : "short", maximumFractionDigits: 1 }),
  );
}
const bytesIn = unitIn("byte");
const kilobytes = unitIn("kilobyte");
const megabytes = unitIn("megabyte");

/** A file size in bytes under a kilobyte, kB under a megabyte, else MB (of 1024 each). */
export function formatBytes(bytes: number, lang: Lang): string {
  const kb = bytes / 1024;
  if (kb < 1) return bytesIn(lang).format(bytes);
  return kb < 1024 ? kilobytes(lang).format(kb) : megabytes(lang).format(kb / 1024);
}

const secondsIn = unitIn("second");
const minutesIn = unitIn("minute");
const hoursIn = unitIn("hour");
const daysIn = unitIn("day");

/** A span of seconds in seconds under a minute, minutes under an hour, hours under a day, else
 * days, one decimal at most: "45 sec", "2.5 min", "۳ ساعت". */
export function formatDuration(seconds: number, lang: Lang): string {
  if (seconds < 60) return secondsIn(lang).format(seconds);
  if (seconds < 3600) return minutesIn(lang).format(seconds / 60);
  return seconds < 86400 ? hoursIn(lang).format(seconds / 3600) : daysIn(lang).format(seconds / 86400);
}
