import { describe, expect, it } from "vitest";

import { asciiDigits, caretAfter, digitsBefore, formatBytes, formatDecimal, formatDuration, formatNumber, formatPercent, formatRate, groupedNumber, instantOf, localInput, typedNumber } from "./format";

describe("numbers in the admin's language", () => {
  it("use Persian digits and separators in Persian, Latin ones in English", () => {
    expect(formatNumber(1234567, "fa")).toBe("۱٬۲۳۴٬۵۶۷");
    expect(formatNumber(1234567, "en")).toBe("1,234,567");
  });

  it("show ratios as whole percentages, and nothing measured as a dash", () => {
    expect(formatPercent(0.853, "fa")).toBe("۸۵٪");
    expect(formatPercent(0.853, "en")).toBe("85%");
    expect(formatPercent(null, "en")).toBe("—");
  });

  it("show rates with one decimal at most", () => {
    expect(formatRate(0.25, "en")).toBe("0.3");
    expect(formatRate(12.5, "fa")).toBe("۱۲٫۵");
    expect(formatRate(3, "en")).toBe("3");
  });
});

// Property amounts and file sizes (the property screens).
describe("amounts and sizes in the admin's language", () => {
  it("write prices as the public site does: grouped, cents only when not zero", () => {
    expect(formatDecimal("1500000000.00", "fa")).toBe("۱٬۵۰۰٬۰۰۰٬۰۰۰");
    expect(formatDecimal("1500000000.00", "en")).toBe("1,500,000,000");
    expect(formatDecimal("120.50", "fa")).toBe("۱۲۰٫۵۰");
    expect(formatDecimal("120.05", "en")).toBe("120.05");
    // A toman's fraction of a stored rial amount: every digit that is not zero.
    expect(formatDecimal("0.125", "en")).toBe("0.125");
    expect(formatDecimal("2644200000.500", "en")).toBe("2,644,200,000.50");
  });

  it("keep every digit of an amount past a float's precision", () => {
    expect(formatDecimal("92233720368547758.07", "en")).toBe("92,233,720,368,547,758.07");
  });

  it("show nothing as a dash and what is not an amount as it is", () => {
    expect(formatDecimal(null, "fa")).toBe("—");
    expect(formatDecimal("", "en")).toBe("—");
    expect(formatDecimal("a lot", "en")).toBe("a lot");
  });

  it("group an amount's digits as they are typed, keeping the plain number", () => {
    expect(typedNumber("۱٬۵۰۰٬۰۰۰٫")).toBe("1500000.");
    expect(typedNumber("1,500,000.5")).toBe("1500000.5");
    expect(typedNumber("a lot")).toBe("a lot");
    expect(groupedNumber("1500000.", "fa")).toBe("۱٬۵۰۰٬۰۰۰٫");
    expect(groupedNumber("1500000.05", "en")).toBe("1,500,000.05");
    expect(groupedNumber("", "en")).toBe("");
    expect(groupedNumber("a lot", "fa")).toBe("a lot");
  });

  it("put the caret back after the digits it followed", () => {
    // "1,2|34" and a 5 typed: "1,25|34" becomes "12,534", the caret after the 5.
    const typed = "1,2534";
    const count = digitsBefore(typed, 4);
    expect(count).toBe(3);
    expect(caretAfter(groupedNumber(typedNumber(typed), "en"), count)).toBe(4);
    expect(caretAfter("۱۲٬۵۳۴", 5)).toBe(6);
  });

  it("read Persian and Arabic-Indic digits as ASCII", () => {
    expect(asciiDigits("۱۲۰٫۵")).toBe("120.5");
    expect(asciiDigits("٣٤")).toBe("34");
    expect(asciiDigits("12a")).toBe("12a");
  });

  it("give file sizes in kB or MB", () => {
    expect(formatBytes(5 * 1024 * 1024, "en")).toBe("5 MB");
    expect(formatBytes(1536, "en")).toBe("1.5 kB");
    expect(formatBytes(29, "en")).toBe("29 bytes");
    expect(formatBytes(5 * 1024 * 1024, "fa")).toBe("۵ مگابایت");
  });

  it("write spans of time in the largest unit under which they fit, one decimal at most", () => {
    expect(formatDuration(45, "en")).toBe("45 sec");
    expect(formatDuration(0.25, "en")).toBe("0.3 sec");
    expect(formatDuration(150, "en")).toBe("2.5 min");
    expect(formatDuration(2 * 3600, "en")).toBe("2 hr");
    expect(formatDuration(3 * 86400, "en")).toBe("3 days");
    expect(formatDuration(150, "fa")).toBe("۲٫۵ دقیقه");
    expect(formatDuration(45, "fa")).toBe("۴۵ ثانیه");
  });
});

describe("datetime-local values", () => {
  it("round-trip an instant to the minute in the browser's time zone", () => {
    const instant = "2026-12-07T18:30:00.000Z";
    expect(instantOf(localInput(instant))).toBe(instant);
    expect(localInput(instantOf("2026-03-21T09:05"))).toBe("2026-03-21T09:05");
  });
  it("read empty as null and null as empty", () => {
    expect(localInput(null)).toBe("");
    expect(instantOf("")).toBeNull();
  });
});
