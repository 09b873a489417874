// One staff account: create (username, email, role, password) or edit (username, email, role,
// active), and set a new password. The API's field errors show next to their fields; the rest
// (the server's refusals: yourself, the last admin) in an alert.
import { Alert, Badge, Button, Group, PasswordInput, Select, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { type SyntheticEvent, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";

import type { Role } from "../access";
import { WHILE_EDITING, useAdminMutation, useAdminQuery } from "../api/hooks";
import type { components } from "../api/schema";
import { formatDateTime } from "../format";
import { type Key, useI18n } from "../i18n";
import { langOf } from "../textLang";
import { Conflicts } from "./Conflicts";
import { type Problems, problemsOf } from "./errors";
import { QueryState } from "./State";
import { unlessConflict, useVersionedForm } from "./useVersionedForm";
import { ActiveBadge, ROLES, roleLabel } from "./Users";
import type { FieldValue } from "./versioned";

type User = components["schemas"]["UserOutVersioned"];

/** The account's editable fields, named as the API names them (a PATCH sends the changed ones). */
type Draft = {
  username: string;
  email: string;
  role: Role;
  is_active: boolean;
};

function draftOf(user: User | undefined): Draft {
  return { username: user?.username ?? "", email: user?.email ?? "", role: user?.role ?? "editor", is_active: user?.is_active ?? true };
}

const LABELS: Record<keyof Draft, Key> = { username: "username", email: "email", role: "role", is_active: "active" };

export function UserForm() {
  const { id } = useParams();
  const editing = id !== undefined;
  const user = useAdminQuery("users", "/api/admin/users/{id}/", { params: { id: Number(id) } }, editing, WHILE_EDITING);
  return (
    // Not from a copy cached by an earlier visit: the draft is made once, from a fresh read.
    <QueryState isPending={editing && !user.isFetchedAfterMount} error={user.error} isEmpty={false} retry={() => void user.refetch()}>
      {/* The draft starts from that read; newer versions are merged into it (useVersionedForm). */}
      {user.data ? <Edit key={user.data.id} user={user.data} /> : <Create />}
    </QueryState>
  );
}

function Create() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [draft, setDraft] = useState(() => draftOf(undefined));
  const [password, setPassword] = useState("");
  const create = useAdminMutation("post", "/api/admin/users/", (body: components["schemas"]["UserInput"]) => ({ body }));
  const problems = problemsOf(create.error, ["username", "email", "role", "password"]);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    create.mutate(
      { username: draft.username, email: draft.email, role: draft.role, password },
      { onSuccess: (created) => void navigate(`/users/${created.id}`, { replace: true }) },
    );
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={640}>
        <Title order={2}>{t("newUser")}</Title>
        <NotSaved problems={problems} />
        <AccountFields draft={draft} set={(patch) => setDraft({ ...draft, ...patch })} problems={problems} />
        <PasswordInput name="password" label={t("password")} value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={problems.field("password")} aria-invalid={problems.field("password") !== undefined} autoComplete="new-password" required />
        <Actions saving={create.isPending} />
      </Stack>
    </form>
  );
}

function Edit({ user }: { user: User }) {
  const { t } = useI18n();
  const form = useVersionedForm(user, draftOf);
  const draft = form.values;
  const update = useAdminMutation("patch", "/api/admin/users/{id}/", ({ body, ifMatch }: { body: components["schemas"]["PatchedUserInput"]; ifMatch?: number }) => ({
    params: { id: user.id },
    body,
    ifMatch,
  }));
  const problems = problemsOf(unlessConflict(update.error), ["username", "email", "role", "is_active"]);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    form.save(({ changes, ifMatch, callbacks }) => update.mutate({ body: changes, ifMatch }, callbacks));
  };
  const show = (field: keyof Draft, value: FieldValue) => {
    const role = ROLES.find((r) => r.value === value);
    if (role) return t(role.label);
    if (field === "is_active") return t(value === true ? "active" : "inactive");
    return String(value);
  };
  return (
    <Stack maw={640}>
      <Group justify="space-between">
        <Title order={2} dir="auto">
          {t("editUser")}: <bdi lang={langOf(user.username)}>{user.username}</bdi>
        </Title>
        <Group gap="xs" data-testid="user-state">
          <Badge variant="light" data-role={user.role}>
            {t(roleLabel(user.role))}
          </Badge>
          <ActiveBadge active={user.is_active} />
        </Group>
      </Group>
      <form onSubmit={submit} noValidate aria-label={t("editUser")}>
        <Stack>
          <NotSaved problems={problems} />
          <Conflicts form={form} label={(field) => t(LABELS[field])} show={show} />
          {update.isSuccess && <Text c="teal.9">{t("saved")}</Text>}
          <AccountFields draft={draft} set={form.set} problems={problems} />
          <Switch name="is_active" label={t("active")} checked={draft.is_active} onChange={(e) => form.set({ is_active: e.currentTarget.checked })} error={problems.field("is_active")} />
          <Actions saving={update.isPending} />
        </Stack>
      </form>
      <NewPassword id={user.id} />
      <ApiTokens id={user.id} />
    </Stack>
  );
}

function AccountFields({ draft, set, problems }: { draft: Draft; set: (patch: Partial<Draft>) => void; problems: Problems }) {
  const { t } = useI18n();
  return (
    <>
      <TextInput name="username" label={t("username")} value={draft.username} onChange={(e) => set({ username: e.currentTarget.value })} error={problems.field("username")} autoComplete="off" required dir="auto" />
      <TextInput name="email" type="email" label={t("email")} value={draft.email} onChange={(e) => set({ email: e.currentTarget.value })} error={problems.field("email")} autoComplete="off" dir="ltr" />
      <Select
        name="role"
        label={t("role")}
        data={ROLES.map((r) => ({ value: r.value, label: t(r.label) }))}
        value={draft.role}
        onChange={(value) => set({ role: ROLES.find((r) => r.value === value)?.value ?? draft.role })}
        error={problems.field("role")}
        allowDeselect={false}
        data-testid="role-select"
      />
    </>
  );
}

/** What the form could not show next to a field: the server's refusals, a lost connection. */
function NotSaved({ problems }: { problems: Problems }) {
  const { t } = useI18n();
  if (!problems.failed) return null;
  return (
    <Alert color="red" title={t("notSaved")} role="alert" data-testid="user-refusal">
      <Text dir="auto">{problems.alert ?? t("seeFields")}</Text>
    </Alert>
  );
}

function Actions({ saving }: { saving: boolean }) {
  const { t } = useI18n();
  return (
    <Group>
      <Button type="submit" loading={saving}>
        {t("save")}
      </Button>
      <Button variant="default" component={Link} to="/users">
        {t("backToUsers")}
      </Button>
    </Group>
  );
}

/** Sets a password; the server ends the user's sessions (they sign in again) and revokes their
 * API tokens unless asked to keep them. Mantine's PasswordInput marks an error only with
 * data-invalid, so aria-invalid is set here. */
function NewPassword({ id }: { id: number }) {
  const { t } = useI18n();
  const [password, setPassword] = useState("");
  const [keepTokens, setKeepTokens] = useState(false);
  const reset = useAdminMutation("post", "/api/admin/users/{id}/password/", (body: components["schemas"]["PasswordInput"]) => ({ params: { id }, body }));
  const problems = problemsOf(reset.error, ["password"]);
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    reset.mutate({ password, keep_tokens: keepTokens }, { onSuccess: () => setPassword("") });
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t("setPassword")}>
      <Stack>
        <Title order={3} size="h4">
          {t("setPassword")}
        </Title>
        {problems.alert !== null && (
          <Alert color="red" role="alert">
            <Text dir="auto">{problems.alert}</Text>
          </Alert>
        )}
        {reset.isSuccess && <Text c="teal.9">{t("passwordSet")}</Text>}
        <PasswordInput name="new_password" label={t("newPassword")} value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={problems.field("password")} aria-invalid={problems.field("password") !== undefined} autoComplete="new-password" />
        <Switch name="keep_tokens" label={t("keepTokens")} checked={keepTokens} onChange={(e) => setKeepTokens(e.currentTarget.checked)} />
        <Group>
          <Button type="submit" loading={reset.isPending}>
            {t("setPassword")}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The user's API tokens (never their keys), each revocable. */
function ApiTokens({ id }: { id: number }) {
  const { t, lang } = useI18n();
  // Its own view: the user's detail has the same resource and params.
  const tokens = useAdminQuery("users", "/api/admin/users/{id}/tokens/", { params: { id } }, true, { view: "tokens" });
  const revoke = useAdminMutation("delete", "/api/admin/users/{id}/tokens/{token_id}/", (tokenId: number) => ({ params: { id, token_id: tokenId } }));
  const rows = tokens.data ?? [];
  const refusal = problemsOf(revoke.error).alert;
  return (
    <Stack data-testid="user-tokens">
      <Title order={3} size="h4">
        {t("apiTokens")}
      </Title>
      {refusal !== null && (
        <Alert color="red" role="alert">
          <Text dir="auto">{refusal}</Text>
        </Alert>
      )}
      <QueryState isPending={tokens.isPending} error={tokens.error} isEmpty={false} retry={() => void tokens.refetch()}>
        {rows.length === 0 ? (
          <Text>{t("noTokens")}</Text>
        ) : (
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t("tokenCreated")}</Table.Th>
                <Table.Th>{t("tokenExpires")}</Table.Th>
                <Table.Th>{t("actions")}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((token) => (
                <Table.Tr key={token.id} data-id={token.id}>
                  <Table.Td>{formatDateTime(token.created, lang)}</Table.Td>
                  <Table.Td>
                    {token.expires_at === null ? t("tokenNever") : formatDateTime(token.expires_at, lang)}
                    {token.expired && (
                      <Badge ms="xs" variant="light" color="gray">
                        {t("tokenExpired")}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="light"
                      color="red"
                      aria-label={`${t("revoke")} ${formatDateTime(token.created, lang)}`}
                      loading={revoke.isPending && revoke.variables === token.id}
                      onClick={() => {
                        if (window.confirm(t("confirmRevoke"))) revoke.mutate(token.id);
                      }}
                    >
                      {t("revoke")}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </QueryState>
    </Stack>
  );
}
