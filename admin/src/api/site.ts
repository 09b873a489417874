// What the admin needs to show things as the public site does, from the served OpenAPI document
// (`/api/schema/`, crates/strata/src/server/api.rs): the deployment's currency
// (`info.x-strata-currency`) and the site's public origin (`servers`, the configured
// `web.site_url`, never the request's host). Both are settings the server reads at start, so the
// document is read once per session: never stale, never dropped.
import { useQuery } from "@tanstack/react-query";

import type { Lang } from "../i18n";
import { type Currency, placesOf } from "../money";
import { ApiError } from "./client";
import { queryKey } from "./keys";

export interface SiteInfo {
  currency: Currency;
  /** The public site's origin ("https://example.com"); "" for this one, which serves it too. */
  origin: string;
}

function isCurrency(value: unknown): value is Currency {
  if (typeof value !== "object" || value === null) return false;
  const { code, display_unit, display_divisor } = value as Record<string, unknown>;
  return typeof code === "string" && typeof display_unit === "string" && typeof display_divisor === "number" && placesOf(display_divisor) !== null;
}

/** The document's two settings; an error when it has no usable currency (an older server). */
export function siteInfoOf(document: unknown): SiteInfo {
  const { info, servers } = (typeof document === "object" && document !== null ? document : {}) as { info?: Record<string, unknown>; servers?: { url?: unknown }[] };
  const currency = info?.["x-strata-currency"];
  if (!isCurrency(currency)) throw new Error("The server's /api/schema/ does not say which currency amounts are in (info.x-strata-currency).");
  const url = servers?.[0]?.url;
  return { currency, origin: typeof url === "string" ? url.replace(/\/+$/, "") : "" };
}

export function useSiteInfo() {
  return useQuery({
    queryKey: queryKey("schema"),
    queryFn: async () => {
      // Public and read-only: none of the admin client's session handling applies.
      const response = await fetch("/api/schema/", { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new ApiError(response.status, null);
      return siteInfoOf(await response.json());
    },
    staleTime: Infinity,
    gcTime: Infinity,
  });
}

/** The public page of a published property, category or tag, in `lang`'s part of the site
 * (crates/web/src/lib.rs: Persian at the root, English under /en). */
export function sitePage(origin: string, lang: Lang, kind: "properties" | "categories" | "tags", slug: string): string {
  return `${origin}${lang === "en" ? "/en" : ""}/${kind}/${encodeURIComponent(slug)}/`;
}
