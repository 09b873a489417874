import { Button, Group, NavLink, Text, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { NavLink as RouterLink, Outlet, useNavigate } from "react-router";

import { SECTION_ROLES, type Section, mayOpen } from "../access";
import { request } from "../api/client";
import { useAdminQuery } from "../api/hooks";
import { useI18n } from "../i18n";
import { langOf } from "../textLang";

const SECTIONS = Object.keys(SECTION_ROLES) as Section[];

export function Layout() {
  const { t, lang, setLang } = useI18n();
  const me = useAdminQuery("me", "/api/auth/me");
  const client = useQueryClient();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: () => request("post", "/api/auth/logout"),
    onSuccess: () => {
      // Nothing of the last user stays in memory.
      client.clear();
      void navigate("/login", { replace: true });
    },
  });
  return (
    // Not Mantine's AppShell: it writes its sizes into a <style> element, which the admin's CSP
    // (style-src 'self') refuses. A grid in admin.css does the same with logical properties.
    <div className="admin-shell">
      <a className="admin-skip-link" href="#main">
        {t("skip")}
      </a>
      <header className="admin-header">
        <Title order={1} size="h4">
          {t("appName")}
        </Title>
        <Group>
          {me.data && (
            <Text size="sm" dir="auto" lang={langOf(me.data.username)} data-testid="whoami">
              {me.data.username}
            </Text>
          )}
          <Button variant="subtle" onClick={() => setLang(lang === "fa" ? "en" : "fa")} lang={lang === "fa" ? "en" : "fa"}>
            {t("language")}
          </Button>
          <Button variant="light" onClick={() => logout.mutate()} loading={logout.isPending}>
            {t("logout")}
          </Button>
        </Group>
      </header>
      <nav className="admin-nav" aria-label={t("nav")}>
        {SECTIONS.filter((section) => me.data && mayOpen(section, me.data.role)).map((section) => (
          <NavLink key={section} component={RouterLink} to={`/${section}`} label={t(section)} />
        ))}
      </nav>
      <main id="main" className="admin-main" tabIndex={-1}>
        {me.data ? <Outlet /> : null}
      </main>
    </div>
  );
}
