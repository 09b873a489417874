// End-to-end steps for the users screen and the cache dashboard (called by run.mjs). Returns the
// created user's id, for the screenshots of its form.

/** A Mantine switch, by keyboard: its input is drawn over by the track, so it is not clicked. */
async function toggle(page, control) {
  await control.focus();
  await page.keyboard.press("Space");
}

export async function usersAndCache({ page, base, step, expect, api, settle, context, newPage }) {
  if ((await page.evaluate(() => document.documentElement.lang)) !== "en") await page.getByRole("button", { name: "English" }).click();
  const username = `e2e-editor-${process.pid}`;
  const firstPassword = "first-password-1";
  const newPassword = "second-password-2";
  const user = async (id) => (await api(page, `/api/admin/users/${id}/`)).body;

  step("users: create an editor through the form; a short password is refused next to its field");
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByTestId("users-table").waitFor();
  await page.getByRole("link", { name: "New user" }).click();
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByTestId("role-select").click();
  await page.getByRole("option", { name: "Editor", exact: true }).click();
  await page.locator('input[name="password"]').fill("short");
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForFunction(() => document.querySelector('input[name="password"]')?.getAttribute("aria-invalid") === "true");
  await page.getByTestId("user-refusal").waitFor();
  await page.locator('input[name="password"]').fill(firstPassword);
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/admin\/users\/\d+$/);
  const id = Number(/\/users\/(\d+)$/.exec(page.url())[1]);
  let row = await user(id);
  expect(row.username === username && row.role === "editor" && row.is_active === true, `created: ${JSON.stringify(row)}`);

  step("users: change its role");
  await page.getByTestId("role-select").click();
  await page.getByRole("option", { name: "Support", exact: true }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByTestId("user-state").locator('[data-role="support"]').waitFor();
  row = await user(id);
  expect(row.role === "support", `after the role change: ${JSON.stringify(row)}`);

  step("users: deactivate it from the list");
  await page.getByRole("link", { name: "Back to users" }).click();
  const listed = page.locator(`[data-testid="users-table"] tbody tr[data-id="${id}"]`);
  await listed.getByRole("button", { name: `Deactivate ${username}` }).click();
  await listed.locator('[data-active="false"]').waitFor();
  row = await user(id);
  expect(row.is_active === false, `after deactivation: ${JSON.stringify(row)}`);

  step("users: reset its password");
  await listed.getByRole("link", { name: username }).click();
  await page.locator('input[name="new_password"]').fill(newPassword);
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByText("Password set").waitFor();
  row = await user(id);
  expect(row.username === username, `after the reset: ${JSON.stringify(row)}`);

  step("users: reactivate it as an editor from its form");
  await page.getByTestId("role-select").click();
  await page.getByRole("option", { name: "Editor", exact: true }).click();
  await toggle(page, page.getByRole("switch", { name: "Active", exact: true }));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByTestId("user-state").locator('[data-active="true"]').waitFor();
  row = await user(id);
  expect(row.role === "editor" && row.is_active === true, `after reactivation: ${JSON.stringify(row)}`);

  step("users: the new password signs in, the old one does not; an editor sees no users or cache");
  const other = await context.browser().newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const old = await other.request.post(`${base}/api/auth/login`, { data: { username, password: firstPassword } });
    expect(old.status() === 400, `the old password: ${old.status()}`);
    const tab = await newPage(other, "editor");
    await tab.goto(`${base}/admin/login`);
    await tab.getByRole("button", { name: "English" }).click();
    await tab.getByLabel("Username").fill(username);
    await tab.locator('input[name="password"]').fill(newPassword);
    await tab.getByRole("button", { name: "Log in" }).click();
    const nav = tab.getByRole("navigation");
    await nav.getByRole("link", { name: "Properties" }).waitFor();
    expect((await nav.getByRole("link", { name: "Users" }).count()) === 0, "an editor has a Users link");
    expect((await nav.getByRole("link", { name: "Cache" }).count()) === 0, "an editor has a Cache link");
    for (const path of ["/users", "/cache"]) {
      await tab.goto(`${base}/admin${path}`);
      await tab.getByTestId("not-allowed").waitFor();
    }
    await settle(tab);
  } finally {
    await other.close();
  }

  step("users: deactivating or deleting yourself is refused, with the server's reason");
  const me = (await api(page, "/api/auth/me")).body;
  await page.goto(`${base}/admin/users`);
  const self = page.locator(`[data-testid="users-table"] tbody tr[data-id="${me.id}"]`);
  await self.getByRole("button", { name: `Deactivate ${me.username}` }).click();
  await page.getByTestId("users-refusal").getByText("You cannot deactivate your own account.").waitFor();
  page.once("dialog", (dialog) => void dialog.accept());
  await self.getByRole("button", { name: `Delete ${me.username}` }).click();
  await page.getByTestId("users-refusal").getByText("You cannot delete your own account.").waitFor();
  const still = await user(me.id);
  expect(still.is_active === true, `the admin after the refusals: ${JSON.stringify(still)}`);

  step("cache: the dashboard refetches its numbers while open; the site's pages have their panel, its charts their axes");
  await page.getByRole("link", { name: "Cache" }).click();
  const namespace = "public:property:list";
  const card = page.locator(`[data-namespace="${namespace}"]`);
  await card.waitFor();
  // The run has requested public pages by now: some were built, none is counted twice.
  const pages = page.getByTestId("page-cache");
  const count = async (testId) => Number((await pages.getByTestId(testId).locator("[data-value]").innerText()).replaceAll(",", ""));
  const stats = (await api(page, "/api/admin/cache/stats/")).body.html;
  expect((await count("page-misses")) >= 1 && stats.misses >= 1 && stats.entries >= 1, `page cache: ${JSON.stringify(stats)}`);
  await page.waitForRequest((request) => request.url().endsWith("/api/admin/cache/stats/"), { timeout: 10_000 });
  const chart = card.getByTestId("chart-share");
  for (const label of ["100%", "50%", "0%", "now", "5", "10", "15"]) await chart.locator("text", { hasText: new RegExp(`^${label}$`) }).waitFor();
  await card.locator("figcaption", { hasText: "Answered ready (%)" }).waitFor();
  await card.getByText("minutes ago").first().waitFor();

  step("cache: switch a namespace off and on again");
  const flag = async () => (await api(page, "/api/admin/cache/flags/")).body.find((f) => f.namespace === namespace)?.enabled;
  const control = card.getByRole("switch", { name: "Use the cache: Property lists on the site" });
  await toggle(page, control);
  await page.locator(`[data-namespace="${namespace}"][data-enabled="false"]`).waitFor();
  expect(!(await control.isChecked()), "the switch is still on");
  expect((await flag()) === false, "GET flags/ still has it on");
  await toggle(page, control);
  await page.locator(`[data-namespace="${namespace}"][data-enabled="true"]`).waitFor();
  expect(await control.isChecked(), "the switch is still off");
  expect((await flag()) === true, "GET flags/ still has it off");

  step("cache: fill it ahead, and follow the progress to the end");
  await page.getByRole("button", { name: "Fill", exact: true }).click();
  await page.locator('[data-testid="warm-progress"][data-phase="done"]').waitFor({ timeout: 60_000 });
  const warm = (await api(page, "/api/admin/cache/warm/")).body;
  expect(warm.state === "done" && warm.total > 0 && warm.done === warm.total, `warm: ${JSON.stringify(warm)}`);
  step(`  warmed ${warm.done} keys, ${warm.failed} failed`);

  step("cache: check the kept data");
  await page.getByRole("button", { name: "Run the check" }).click();
  await page.getByTestId("audit-table").waitFor();
  return { userId: id };
}
