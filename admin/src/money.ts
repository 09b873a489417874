// Amounts as the public site shows them (crates/web/src/money.rs): stored in the deployment's
// currency and shown in its display unit — for IRR, tomans (the amount ÷ 10) unless the
// deployment quotes rials — with the unit's name in the admin's language. The served document
// says which (`info.x-strata-currency`, read by api/site.ts). Conversions move the decimal point
// in the string, never through a float, so an amount converted to the shown unit and back is the
// amount that was stored.
import { LOCALES, formatDecimal, isDecimal } from "./format";
import type { Lang } from "./i18n";

export interface Currency {
  /** ISO 4217, as stored (`IRR`). */
  code: string;
  /** `toman`, `rial`, or the code. */
  display_unit: string;
  /** Stored units per shown unit: a power of ten (10 for tomans). */
  display_divisor: number;
}

/** How many places the point moves between stored and shown amounts (1 for tomans); null for a
 * divisor that is not a power of ten, which no deployment has (api/site.ts refuses it). */
export function placesOf(divisor: number): number | null {
  const digits = String(divisor);
  return /^10*$/.test(digits) ? digits.length - 1 : null;
}

/** `decimal` with its point moved `places` to the left (to the right when negative), written
 * without leading zeros and without a zero fraction: "26442000000.00", 1 → "2644200000". */
function shift(decimal: string, places: number): string {
  const negative = decimal.startsWith("-");
  const [whole = "", fraction = ""] = (negative ? decimal.slice(1) : decimal).split(".");
  let digits = whole + fraction;
  let point = whole.length - places;
  if (point < 0) {
    digits = "0".repeat(-point) + digits;
    point = 0;
  }
  digits = digits.padEnd(point, "0");
  const shifted = `${digits.slice(0, point).replace(/^0+/, "") || "0"}.${digits.slice(point)}`.replace(/\.?0*$/, "");
  return negative && shifted !== "0" ? `-${shifted}` : shifted;
}

/** A stored amount in the shown unit ("26442000000.00" → "2644200000" in tomans). */
export function shownAmount(stored: string, currency: Currency): string {
  return shift(stored, placesOf(currency.display_divisor) ?? 0);
}

/** An amount in the shown unit, as a number field keeps it (format.ts's `typedNumber`), as the
 * stored amount the API takes ("2644200000" → "26442000000"). Text that is not an amount is
 * sent as it is, for the API to say what is wrong with it. */
export function storedAmount(kept: string, currency: Currency): string {
  // "1500." is a number being typed: saved as it reads.
  const amount = kept.replace(/(\d)\.$/, "$1");
  return isDecimal(amount) ? shift(amount, -(placesOf(currency.display_divisor) ?? 0)) : kept;
}

const currencyNames = new Map<Lang, Intl.DisplayNames>();

/** The shown unit's name: تومان / toman, ریال / rials, else the currency's name in `lang`. */
export function unitName(currency: Currency, lang: Lang): string {
  if (currency.display_unit === "toman") return lang === "fa" ? "تومان" : "toman";
  if (currency.display_unit === "rial") return lang === "fa" ? "ریال" : "rials";
  let names = currencyNames.get(lang);
  if (names === undefined) {
    names = new Intl.DisplayNames([LOCALES[lang]], { type: "currency" });
    currencyNames.set(lang, names);
  }
  return names.of(currency.code) ?? currency.code;
}

/** A stored amount in the shown unit, grouped, in the language's digits; none as a dash. */
export function formatMoney(stored: string | null | undefined, currency: Currency, lang: Lang): string {
  return formatDecimal(stored && isDecimal(stored) ? shownAmount(stored, currency) : stored, lang);
}

/** `formatMoney` with the unit: "۲٬۶۴۴٬۲۰۰٬۰۰۰ تومان", "2,644,200,000 toman". */
export function withUnit(stored: string, currency: Currency, lang: Lang): string {
  return `${formatMoney(stored, currency, lang)} ${unitName(currency, lang)}`;
}
