// The cache dashboard's CDN section, rendered to HTML as the browser would get it (no DOM needed:
// the section has no effects), in each language.
import { DirectionProvider, MantineProvider } from "@mantine/core";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { components } from "../api/schema";
import { I18nProvider, type Lang } from "../i18n";
import { CdnPurges } from "./CdnPurges";

type Backlog = components["schemas"]["Backlog"];

const FASTLY: Backlog = { provider: "fastly", pending: 0, oldest_secs: 0, stale: false, requests: 1234, failures: 3, rate_limited: 0, fallbacks: 0, purged_tags: 56789 };
const CLOUDFLARE: Backlog = { provider: "cloudflare", pending: 42, oldest_secs: 150, stale: true, requests: 17, failures: 5, rate_limited: 9, fallbacks: 2, purged_tags: 1500 };

/** The section's HTML in `lang` (the language the provider reads from the browser's storage). */
function render(cdn: readonly Backlog[], lang: Lang): string {
  vi.stubGlobal("localStorage", { getItem: () => lang, setItem: () => undefined });
  // As App.tsx wraps the screens.
  const i18n = createElement(I18nProvider, { children: createElement(CdnPurges, { cdn }) });
  const mantine = createElement(MantineProvider, { withCssVariables: false, withGlobalClasses: false, children: i18n });
  return renderToStaticMarkup(createElement(DirectionProvider, { initialDirection: lang === "fa" ? "rtl" : "ltr", detectDirection: false, children: mantine }));
}

/** Each row's cells' text, by provider. */
function rows(html: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [, provider = "", row = ""] of html.matchAll(/<tr[^>]*data-provider="([^"]+)"[^>]*>(.*?)<\/tr>/g)) {
    found[provider] = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map(([, cell = ""]) => cell.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim());
  }
  return found;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the cache dashboard's CDN purges", () => {
  it("show a row per provider with its backlog and totals, and mark the one behind in words", () => {
    const html = render([FASTLY, CLOUDFLARE], "en");
    expect(html).toContain("CDN purges");
    expect(rows(html)).toEqual({
      fastly: ["Fastly", "0", "—", "1,234", "3", "0", "0", "56,789"],
      cloudflare: ["Cloudflare Behind", "42", "2.5 min", "17", "5", "9", "2", "1,500"],
    });
    expect(html).toMatch(/data-provider="cloudflare" data-stale="true"/);
    expect(html).toMatch(/data-provider="fastly" data-stale="false"/);
    expect(html.match(/data-testid="cdn-stale"/g)).toHaveLength(1);
    // The legend says what the marker means.
    expect(html).toContain("Behind: The oldest waiting purge has waited longer than allowed");
  });

  it("write its words and numbers in Persian, with Persian digits", () => {
    const html = render([FASTLY, CLOUDFLARE], "fa");
    expect(html).toContain("پاک‌سازی CDN");
    expect(rows(html)).toEqual({
      fastly: ["Fastly", "۰", "—", "۱٬۲۳۴", "۳", "۰", "۰", "۵۶٬۷۸۹"],
      cloudflare: ["Cloudflare عقب‌افتاده", "۴۲", "۲٫۵ دقیقه", "۱۷", "۵", "۹", "۲", "۱٬۵۰۰"],
    });
    // A Latin provider name is read by an English voice.
    expect(html).toContain('<span lang="en">Cloudflare</span>');
  });

  it("show a provider it does not know by its name", () => {
    expect(rows(render([{ ...FASTLY, provider: "akamai" }], "en")).akamai?.[0]).toBe("akamai");
  });

  it("render nothing when no provider is configured", () => {
    expect(render([], "en")).toBe("");
    expect(render([], "fa")).toBe("");
  });
});
