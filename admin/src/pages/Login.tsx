import { Alert, Button, Container, PasswordInput, Stack, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type SyntheticEvent, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";

import { ApiError, request } from "../api/client";
import { useI18n } from "../i18n";

export function Login() {
  const { t, lang, setLang } = useI18n();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const login = useMutation({
    mutationFn: () => request("post", "/api/auth/login", { body: { username, password } }),
    onSuccess: () => {
      client.clear();
      // Back to where the 401 came from; only a path of this admin, never another origin.
      const next = search.get("next");
      void navigate(next?.startsWith("/") && !next.startsWith("//") ? next : "/properties", { replace: true });
    },
  });
  const errors = login.error instanceof ApiError ? login.error.fieldErrors : {};
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    login.mutate();
  };
  return (
    <Container size={420} py="xl" component="main">
      <form onSubmit={submit}>
        <Stack>
          <Title order={1}>{t("appName")}</Title>
          {(errors.non_field_errors ?? errors.detail) && (
            <Alert color="red" role="alert">
              {(errors.non_field_errors ?? errors.detail ?? []).join(" ")}
            </Alert>
          )}
          <TextInput
            label={t("username")}
            name="username"
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            error={errors.username?.join(" ")}
            required
            dir="auto"
          />
          <PasswordInput
            label={t("password")}
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={errors.password?.join(" ")}
            required
          />
          <Button type="submit" loading={login.isPending}>
            {t("login")}
          </Button>
          <Button variant="subtle" onClick={() => setLang(lang === "fa" ? "en" : "fa")}>
            {t("language")}
          </Button>
        </Stack>
      </form>
    </Container>
  );
}
