import { describe, expect, it } from "vitest";

import { siteInfoOf, sitePage } from "./site";

describe("the site's settings from the served document", () => {
  it("read the currency and the public origin", () => {
    const document = { info: { "x-strata-currency": { code: "IRR", display_unit: "toman", display_divisor: 10 } }, servers: [{ url: "https://example.com/" }] };
    expect(siteInfoOf(document)).toEqual({ currency: { code: "IRR", display_unit: "toman", display_divisor: 10 }, origin: "https://example.com" });
  });

  it("link to this origin when the document names no server", () => {
    expect(siteInfoOf({ info: { "x-strata-currency": { code: "USD", display_unit: "USD", display_divisor: 1 } } }).origin).toBe("");
  });

  it("refuse a document without a usable currency", () => {
    expect(() => siteInfoOf({ info: {} })).toThrow(/currency/);
    expect(() => siteInfoOf({ info: { "x-strata-currency": { code: "IRR", display_unit: "toman", display_divisor: 12 } } })).toThrow(/currency/);
  });

  it("build the public page in the editor's language", () => {
    expect(sitePage("https://example.com", "fa", "properties", "villa-1")).toBe("https://example.com/properties/villa-1/");
    expect(sitePage("", "en", "categories", "ویلا")).toBe("/en/categories/%D9%88%DB%8C%D9%84%D8%A7/");
  });
});
