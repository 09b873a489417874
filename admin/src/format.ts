// Numbers, ratios and times in the admin's language: Persian digits and separators in Persian
// (fa-IR), Latin in English. One formatter per language and kind, made on first use.
import type { Lang } from "./i18n";

const LOCALES: Record<Lang, string> = { fa: "fa-IR", en: "en-US" };

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
const percents = cached((locale) => new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }));
const clock = cached((locale) => new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
const dates = cached((locale) => new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }));

/** `1234` → "1,234" in English, "۱٬۲۳۴" in Persian. */
export function formatNumber(n: number, lang: Lang): string {
  return integers(lang).format(n);
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

// Amounts come from the API as decimal strings ("4500000000.00"): formatted from the string
// itself (Intl reads it exactly), never through a float that would round large prices.
const wholeAmounts = cached((locale) => new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }));
const centAmounts = cached((locale) => new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }));
const DECIMAL = /^-?\d+(\.\d{1,2})?$/;

/** Whether `text` is a decimal as the API writes amounts (ASCII digits, two places at most). */
export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/** A price, deposit or area as the public site writes it: grouped, its cents only when not
 * zero ("1500000.00" → "۱٬۵۰۰٬۰۰۰", "120.50" → "۱۲۰٫۵۰"); null or empty as a dash, and text
 * that is not such a decimal as it is. */
export function formatDecimal(decimal: string | null | undefined, lang: Lang): string {
  if (decimal === null || decimal === undefined || decimal === "") return "—";
  if (!isDecimal(decimal)) return decimal;
  const cents = decimal.split(".")[1] ?? "";
  const formatter = /[1-9]/.test(cents) ? centAmounts(lang) : wholeAmounts(lang);
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

// Persian spells the unit out ("مگابایت"); English keeps "MB" but says "bytes" ("29 byte" is
// Intl's short form).
function sizeIn(unit: "byte" | "kilobyte" | "megabyte") {
  return cached(
    (locale) => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: locale === LOCALES.fa || unit === "byte" ? "long" : "short", maximumFractionDigits: 1 }),
  );
}
const bytesIn = sizeIn("byte");
const kilobytes = sizeIn("kilobyte");
const megabytes = sizeIn("megabyte");

/** A file size in bytes under a kilobyte, kB under a megabyte, else MB (of 1024 each). */
export function formatBytes(bytes: number, lang: Lang): string {
  const kb = bytes / 1024;
  if (kb < 1) return bytesIn(lang).format(bytes);
  return kb < 1024 ? kilobytes(lang).format(kb) : megabytes(lang).format(kb / 1024);
}
