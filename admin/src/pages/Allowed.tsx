import { Alert } from "@mantine/core";
import type { ReactNode } from "react";

import { type Section, mayOpen } from "../access";
import { useAdminQuery } from "../api/hooks";
import { useI18n } from "../i18n";

/** A section's screen for the roles that may open it; a plain refusal for a role that reaches
 * it by its address (its requests would only answer 403). */
export function Allowed({ section, children }: { section: Section; children: ReactNode }) {
  const { t } = useI18n();
  const me = useAdminQuery("me", "/api/auth/me");
  // The layout renders its screens once `me` is known.
  if (me.data === undefined) return null;
  if (!mayOpen(section, me.data.role))
    return (
      <Alert color="yellow" title={t("notAllowed")} role="alert" data-testid="not-allowed">
        {t("notAllowedText")}
      </Alert>
    );
  return <>{children}</>;
}
