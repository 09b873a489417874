import { describe, expect, it } from "vitest";

import { type Currency, formatMoney, placesOf, shownAmount, storedAmount, unitName, withUnit } from "./money";

const TOMAN: Currency = { code: "IRR", display_unit: "toman", display_divisor: 10 };
const RIAL: Currency = { code: "IRR", display_unit: "rial", display_divisor: 1 };
const USD: Currency = { code: "USD", display_unit: "USD", display_divisor: 1 };

describe("amounts in the unit the site shows", () => {
  it("show stored rials as tomans, grouped, in the language's digits, with the unit", () => {
    expect(withUnit("26442000000.00", TOMAN, "fa")).toBe("۲٬۶۴۴٬۲۰۰٬۰۰۰ تومان");
    expect(withUnit("26442000000.00", TOMAN, "en")).toBe("2,644,200,000 toman");
    expect(withUnit("26442000000.00", RIAL, "fa")).toBe("۲۶٬۴۴۲٬۰۰۰٬۰۰۰ ریال");
    expect(withUnit("26442000000.00", RIAL, "en")).toBe("26,442,000,000 rials");
  });

  it("name other currencies in the admin's language", () => {
    expect(unitName(USD, "en")).toBe("US Dollar");
    expect(unitName(USD, "fa")).not.toMatch(/[A-Za-z]/);
  });

  it("keep every digit, a toman's fraction included", () => {
    expect(shownAmount("1.25", TOMAN)).toBe("0.125");
    expect(shownAmount("7", TOMAN)).toBe("0.7");
    expect(shownAmount("-150.00", TOMAN)).toBe("-15");
    expect(shownAmount("0.00", TOMAN)).toBe("0");
    expect(formatMoney("92233720368547758.07", TOMAN, "en")).toBe("9,223,372,036,854,775.807");
    expect(formatMoney(null, TOMAN, "fa")).toBe("—");
  });

  it("read what an editor types back into the stored amount, exactly", () => {
    for (const stored of ["26442000000", "1.25", "7", "92233720368547758.07", "0"]) {
      expect(storedAmount(shownAmount(stored, TOMAN), TOMAN)).toBe(stored);
    }
    expect(storedAmount("2644200000.5", TOMAN)).toBe("26442000005");
    expect(storedAmount("1500.", TOMAN)).toBe("15000");
    expect(storedAmount("1500", RIAL)).toBe("1500");
    // Not an amount: sent as typed, for the API's field error.
    expect(storedAmount("a lot", TOMAN)).toBe("a lot");
  });

  it("accept only powers of ten as the divisor", () => {
    expect(placesOf(1)).toBe(0);
    expect(placesOf(10)).toBe(1);
    expect(placesOf(1000)).toBe(3);
    expect(placesOf(12)).toBeNull();
  });
});
