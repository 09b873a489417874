import { DirectionProvider, MantineProvider } from "@mantine/core";
import { QueryClientProvider } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation, useNavigate } from "react-router";

import { homeOf } from "./access";
import { setUnauthorizedHandler } from "./api/client";
import { useAdminQuery } from "./api/hooks";
import { makeQueryClient } from "./api/keys";
import { listen } from "./api/sync";
import { I18nProvider, useI18n } from "./i18n";
import { Allowed } from "./pages/Allowed";
import { Cache } from "./pages/Cache";
import { Layout } from "./pages/Layout";
import { Login } from "./pages/Login";
import { Me } from "./pages/Me";
import { Properties } from "./pages/Properties";
import { PropertyForm } from "./pages/PropertyForm";
import { Terms } from "./pages/Terms";
import { UserForm } from "./pages/UserForm";
import { Users } from "./pages/Users";

export function App() {
  const [client] = useState(makeQueryClient);
  useEffect(() => listen(client), [client]);
  return (
    <QueryClientProvider client={client}>
      <I18nProvider>
        <Themed />
      </I18nProvider>
    </QueryClientProvider>
  );
}

function Themed() {
  const { dir } = useI18n();
  return (
    <DirectionProvider initialDirection={dir} detectDirection={false}>
      {/* No <style> element: the CSP allows this origin's stylesheets only, and the default
          theme's variables are in @mantine/core/styles.css. */}
      <MantineProvider withCssVariables={false} withGlobalClasses={false}>
        <BrowserRouter basename="/admin">
          <Unauthorized />
          <Routes>
            <Route path="/login" element={<Login />} />
            <Route element={<Layout />}>
              <Route index element={<Home />} />
              <Route path="/me" element={<Me />} />
              <Route path="/properties" element={<Properties />} />
              <Route path="/properties/new" element={<PropertyForm />} />
              <Route path="/properties/:id" element={<PropertyForm />} />
              <Route path="/categories" element={<Terms kind="categories" />} />
              <Route path="/tags" element={<Terms kind="tags" />} />
              <Route path="/options" element={<Terms kind="options" />} />
              {/* Admins only: another role reaching these by address sees a refusal. */}
              <Route path="/users" element={<Allowed section="users"><Users /></Allowed>} />
              <Route path="/users/new" element={<Allowed section="users"><UserForm /></Allowed>} />
              <Route path="/users/:id" element={<Allowed section="users"><UserForm /></Allowed>} />
              <Route path="/cache" element={<Allowed section="cache"><Cache /></Allowed>} />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </BrowserRouter>
      </MantineProvider>
    </DirectionProvider>
  );
}

/** A 401 from any request: to the login page, which comes back here afterwards. */
function Unauthorized() {
  const navigate = useNavigate();
  const location = useLocation();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (location.pathname === "/login") return;
      const next = `${location.pathname}${location.search}`;
      void navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
    });
  }, [navigate, location]);
  return null;
}

function NotFound() {
  const { t } = useI18n();
  return <p>{t("notFound")}</p>;
}

/** `/admin/`: the first section the user's role may open (the layout renders it once `me` is in). */
function Home() {
  const me = useAdminQuery("me", "/api/auth/me");
  return me.data ? <Navigate to={`/${homeOf(me.data.role)}`} replace /> : null;
}
