// End to end: the real `strata serve` serving admin/dist, driven in Debian's Chromium by
// playwright-core, on the embedded default (SQLite + in-process cache, in a temporary directory)
// or, with `E2E_BACKEND=postgres`, on a fresh PostgreSQL database + Redis under a unique key prefix.
// Screenshots of every screen in both languages go to target/admin-screenshots/<backend>/; axe-core runs on
// each and fails on serious or critical violations; any console error (a CSP refusal included)
// fails the run. `STRATA_BIN` names the binary (default target/debug/strata), `ADMIN_DIST` the build (admin/dist).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { bulkJob } from "./bulk-job.mjs";
import { concurrentEdits } from "./concurrent-edits.mjs";
import { images } from "./images.mjs";
import { persianText } from "./persian-text.mjs";
import { richText } from "./rich-text.mjs";
import { usersAndCache } from "./users-cache.mjs";

const admin = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(admin, "..");
const bin = process.env.STRATA_BIN ?? join(repo, "target/debug/strata");
const backend = process.env.E2E_BACKEND ?? "embedded";
const shots = join(repo, "target/admin-screenshots", backend);
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PASSWORD = "e2e-admin-password-1";
const started = Date.now();

const work = mkdtempSync(join(tmpdir(), "strata-admin-e2e-"));
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith("STRATA_") && !["DATABASE_URL", "REDIS_URL", "ENV"].includes(k)),
);
const prefix = `admin-e2e-${process.pid}`;
Object.assign(env, {
  STRATA_MEDIA_DIR: join(work, "media"),
  // A free port for the metrics listener, whatever else runs on this machine.
  STRATA_METRICS_BIND: "127.0.0.1:0",
  STRATA_ADMIN_DIR: process.env.ADMIN_DIST ?? join(admin, "dist"),
  ENV: prefix,
  RUST_LOG: "warn",
});
const pg = { host: "127.0.0.1", port: "5432", user: "root" };
const database = prefix.replaceAll("-", "_");
if (backend === "postgres") {
  psql(`CREATE DATABASE ${database}`);
  env.DATABASE_URL = `postgres://${pg.user}@${pg.host}:${pg.port}/${database}`;
  env.REDIS_URL = process.env.E2E_REDIS_URL ?? "redis://127.0.0.1:6379/0";
} else if (backend === "embedded") {
  env.DATABASE_URL = `sqlite://${join(work, "strata.db")}`;
} else {
  throw new Error(`E2E_BACKEND is ${backend}: embedded or postgres`);
}

function psql(sql) {
  const out = spawnSync("psql", ["-h", pg.host, "-p", pg.port, "-U", pg.user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(`psql ${sql}: ${out.error?.message ?? out.stderr}`);
}

/** Drops what the postgres run made: its database and its keys (never anything else's). */
function cleanUp() {
  if (backend !== "postgres") return;
  const redis = new URL(env.REDIS_URL);
  const cli = ["-h", redis.hostname, "-p", redis.port || "6379", "-n", redis.pathname.slice(1) || "0"];
  const keys = spawnSync("redis-cli", [...cli, "--scan", "--pattern", `${prefix}:*`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (let i = 0; i < keys.length; i += 500) spawnSync("redis-cli", [...cli, "del", ...keys.slice(i, i + 500)]);
  try {
    psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } catch (error) {
    console.error(`admin e2e: ${error.message}`);
  }
}

function strata(...args) {
  const out = spawnSync(bin, args, { env, cwd: work, encoding: "utf8" });
  if (out.error) throw new Error(`cannot run ${bin} (set STRATA_BIN): ${out.error.message}`);
  if (out.status !== 0) throw new Error(`strata ${args.join(" ")}: ${out.stdout}${out.stderr}`);
}

function step(text) {
  console.log(`  [${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
}

console.log(`admin e2e on the ${backend} backend`);
if (backend === "postgres") strata("migrate");
strata("seed", "--demo", "--properties", "30");
strata("createsuperuser", "--username", "admin", "--email", "admin@example.com", "--password", PASSWORD);

const server = spawn(bin, ["serve", "--bind", "127.0.0.1:0"], { env, cwd: work, stdio: ["ignore", "pipe", "inherit"] });
const base = await new Promise((ok, fail) => {
  let seen = "";
  server.stdout.on("data", (chunk) => {
    seen += chunk;
    const match = /Strata listening on (http:\/\/\S+)/.exec(seen);
    if (match) ok(match[1]);
  });
  server.on("exit", (code) => fail(new Error(`strata serve exited (${code}) before listening`)));
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const problems = [];
let failed = false;

function watch(page, name) {
  page.on("console", (message) => {
    // A 401 probe of /api/auth/me before login is the expected way in, not a fault.
    // Chromium logs every 4xx response; the run provokes 401s (before login), 400s (field
    // errors) and 412s (stale saves, concurrent-edits.mjs) on purpose and checks them itself.
    const expected = /^Failed to load resource: the server responded with a status of (40[01]|412)/;
    if (message.type() === "error" && !expected.test(message.text())) problems.push(`${name}: console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`${name}: ${error.message}`));
  return page;
}

async function newPage(context, name) {
  const page = await context.newPage();
  // Says what the CSP refused (the console only says that something was).
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP ${e.violatedDirective} refused ${e.blockedURI} ${e.sample} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return watch(page, name);
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function axe(page, screen) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const { violations } = await axe.run(document, { resultTypes: ["violations"] });
    return violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => `${n.target.join(" ")}: ${n.failureSummary ?? ""}`) }));
  });
  const serious = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  for (const v of serious) problems.push(`${screen}: axe ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(", ")}`);
  for (const v of result.filter((x) => !serious.includes(x))) console.log(`    axe ${v.impact} ${v.id} on ${screen} (not failing)`);
}

async function settle(page) {
  await page.waitForLoadState("networkidle");
  await page.locator('[role="status"]').first().waitFor({ state: "detached", timeout: 5000 }).catch(() => undefined);
}

async function screen(page, name) {
  await settle(page);
  // Away from any control: axe judges the page at rest, not a hovered button.
  await page.mouse.move(0, 0);
  const lang = await page.evaluate(() => document.documentElement.lang);
  await page.screenshot({ path: join(shots, `${name}.${lang}.png`), fullPage: true });
  await axe(page, `${name} (${lang})`);
}

async function api(page, path) {
  const response = await page.request.get(`${base}${path}`);
  return { status: response.status(), body: await response.json() };
}

try {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await newPage(context, "tab 1");

  step("a page of the admin without a session goes to login, and back after it");
  await page.goto(`${base}/admin/categories`);
  await page.waitForURL(/\/admin\/login\?next=%2Fcategories/);
  await screen(page, "login");
  await page.getByRole("button", { name: "English" }).click();
  await screen(page, "login");
  await page.getByLabel("Username").fill("admin");
  await page.locator('input[name="password"]').fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").waitFor();
  // By keyboard: the password field, then Enter submits the form.
  await page.locator('input[name="password"]').fill(PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${base}/admin/categories`);
  await page.getByTestId("terms-table").waitFor();

  step("create a property in both languages, with a category");
  const title = `E2E villa ${process.pid}`;
  await page.getByRole("link", { name: "Properties" }).click();
  await page.getByRole("link", { name: "New property" }).click();
  await page.getByLabel("Title (Persian)").fill(`ویلای آزمون ${process.pid}`);
  await page.getByLabel("Title (English)").fill(title);
  await page.getByLabel("City (Persian)").fill("تهران");
  await page.getByLabel("City (English)").fill("Tehran");
  await page.getByLabel("Price").fill("1500000000");
  await page.getByLabel("Area (m²)").fill("120.5");
  await page.getByTestId("category-select").click();
  const firstCategory = page.getByRole("option").first();
  await firstCategory.click();
  await page.getByRole("button", { name: "Save" }).click();
  await page.waitForURL(/\/admin\/properties\/\d+$/);
  const id = Number(/\/properties\/(\d+)$/.exec(page.url())[1]);
  // A draft is not on the site, and the form says so instead of linking to it.
  await page.getByTestId("not-on-site").waitFor();
  expect((await page.getByTestId("view-on-site").count()) === 0, "a draft links to the site");
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByTestId("status-actions").getByText("Status: Published").waitFor();

  await images({ page, base, id, step, expect, api, settle, screen });

  step("the public detail page's gallery by keyboard, in the reading direction");
  const listed = await api(page, "/api/properties/?page_size=50");
  let shown = null;
  for (const item of listed.body.results) {
    const detail = await api(page, `/api/properties/${item.id}/`);
    // Three or more: with two, one step either way (it wraps) would land on the same photo.
    if (detail.body.images.length >= 3) {
      shown = detail.body;
      break;
    }
  }
  expect(shown !== null, "no demo property with three photos");
  const mainSrc = async (gallery) => new URL(await gallery.locator(".gallery-main img").getAttribute("src"), base).pathname;
  for (const [path, forward] of [[`/en/properties/${shown.slug}/`, "ArrowRight"], [`/properties/${shown.slug}/`, "ArrowLeft"]]) {
    const visitor = await newPage(context, `gallery ${path}`);
    await visitor.goto(`${base}${path}`);
    const gallery = visitor.locator("[data-gallery]");
    await gallery.locator('.gallery-thumb[aria-pressed="true"]').focus();
    await visitor.keyboard.press(forward);
    expect((await mainSrc(gallery)) === shown.images[1].url, `${path}: ${forward} did not show the second photo`);
    await visitor.keyboard.press("End");
    expect((await mainSrc(gallery)) === shown.images.at(-1).url, `${path}: End did not show the last photo`);
    await visitor.keyboard.press("Home");
    expect((await mainSrc(gallery)) === shown.images[0].url, `${path}: Home did not show the first photo`);
    await visitor.close();
  }

  step("the public API has it on the first request");
  const published = await api(page, `/api/properties/${id}/?lang=en`);
  expect(published.status === 200 && published.body.title === title, `public API: ${JSON.stringify(published)}`);
  step("and the public page, on its first request, where the form's \"View on site\" leads (the English site, as the admin is in English)");
  const onSite = new URL(await page.getByTestId("view-on-site").getAttribute("href"));
  expect(onSite.pathname === `/en/properties/${published.body.slug}/`, `View on site: ${onSite}`);
  // Its origin is the configured site (web.site_url); this run's server listens on a port of its own.
  const pageResponse = await page.request.get(`${base}${onSite.pathname}`);
  const html = await pageResponse.text();
  expect(pageResponse.status() === 200 && html.includes(title), `public page: ${pageResponse.status()}`);

  step("the admin list shows it; a second tab follows an edit without a reload");
  await page.goto(`${base}/admin/properties?q=${encodeURIComponent(title)}`);
  // Admin lists show the default language (Persian).
  const titleFa = `ویلای آزمون ${process.pid}`;
  await page.locator(`tbody tr[data-id="${id}"]`).getByText(titleFa).waitFor();
  const second = await newPage(context, "tab 2");
  await second.goto(`${base}/admin/properties?q=${process.pid}`);
  await second.locator(`tbody tr[data-id="${id}"]`).getByText(titleFa).waitFor();
  await second.evaluate(() => {
    window.__notReloaded = true;
  });
  await page.bringToFront();
  await page.goto(`${base}/admin/properties/${id}`);
  const renamed = `${titleFa} نو`;
  await page.getByLabel("Title (Persian)").fill(renamed);
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved").waitFor();
  await second.locator(`tbody tr[data-id="${id}"]`).getByText(renamed).waitFor({ timeout: 5000 });
  expect(await second.evaluate(() => window.__notReloaded === true), "the second tab reloaded");
  await second.close();

  step("schedule it: a time ahead in \"On the site from\" takes it off the site until then, and the list says so");
  const inAnHour = new Date(Date.now() + 3_600_000);
  const two = (n) => String(n).padStart(2, "0");
  const local = `${inAnHour.getFullYear()}-${two(inAnHour.getMonth() + 1)}-${two(inAnHour.getDate())}T${two(inAnHour.getHours())}:${two(inAnHour.getMinutes())}`;
  const saveForm = async () => {
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved").waitFor();
  };
  await page.goto(`${base}/admin/properties/${id}`);
  await page.getByLabel("On the site from").fill(local);
  await saveForm();
  await page.getByTestId("scheduled").waitFor();
  const hidden = await api(page, `/api/properties/${id}/`);
  expect(hidden.status === 404, `scheduled, yet public: ${hidden.status}`);
  await page.goto(`${base}/admin/properties?q=${process.pid}`);
  await page.locator(`tbody tr[data-id="${id}"]`).getByTestId("scheduled").waitFor();
  // Cleared: public from now, as when it was first published.
  await page.goto(`${base}/admin/properties/${id}`);
  await page.getByLabel("On the site from").fill("");
  await saveForm();
  await page.getByTestId("view-on-site").waitFor();
  const back = await api(page, `/api/properties/${id}/`);
  expect(back.status === 200, `cleared, yet not public: ${back.status}`);

  step("a field error from the API shows next to its field");
  await page.getByLabel("Price").fill("a lot");
  await page.getByRole("button", { name: "Save" }).click();
  const price = page.getByLabel("Price");
  await page.waitForFunction(() => document.querySelector('input[name="price"]')?.getAttribute("aria-invalid") === "true");
  const described = await price.getAttribute("aria-describedby");
  const message = await page.locator(`[id="${described.split(" ").find((d) => d.endsWith("error"))}"]`).innerText();
  expect(message.length > 0, "the price error is empty");
  step(`  price error: ${message}`);

  step("bulk-archive two properties");
  await page.goto(`${base}/admin/properties?status=draft`);
  await settle(page);
  const rows = page.getByTestId("properties-table").locator("tbody tr");
  const ids = [Number(await rows.nth(0).getAttribute("data-id")), Number(await rows.nth(1).getAttribute("data-id"))];
  // Row selection by keyboard: focus a checkbox, Space toggles it.
  await rows.nth(0).getByRole("checkbox").focus();
  await page.keyboard.press("Space");
  await rows.nth(1).getByRole("checkbox").focus();
  await page.keyboard.press("Space");
  await page.getByTestId("bulk-bar").getByRole("button", { name: "Archive" }).click();
  for (const archived of ids) await page.locator(`tbody tr[data-id="${archived}"]`).waitFor({ state: "detached" });
  for (const archived of ids) {
    const row = await api(page, `/api/admin/properties/${archived}/`);
    expect(row.body.status === "archived", `property ${archived} is ${row.body.status}`);
  }

  step("rename a category in place: its row opens a panel naming it; cancel closes it; the property form shows the new name");
  const property = await api(page, `/api/admin/properties/${id}/`);
  const categoryId = property.body.category.id;
  const category = (await api(page, `/api/admin/categories/${categoryId}/`)).body;
  await page.getByRole("link", { name: "Categories" }).click();
  const categoryRow = page.locator(`[data-testid="terms-table"] tbody tr[data-id="${categoryId}"]`);
  const edit = categoryRow.getByRole("button", { name: /^Edit/ });
  await edit.click();
  const panel = page.getByTestId("term-edit");
  await panel.getByRole("heading", { name: `Editing: ${category.name_en}` }).waitFor();
  expect((await edit.getAttribute("aria-expanded")) === "true" && (await categoryRow.getAttribute("data-editing")) === "true", "the edited row is not marked");
  // The add form above stays empty: editing never refills it.
  expect((await page.getByTestId("term-new").getByRole("textbox", { name: "Name (Persian)" }).inputValue()) === "", "the add form was refilled");
  expect((await panel.getByRole("textbox", { name: "Name (English)" }).getAttribute("lang")) === "en", "the English name's input has no lang");
  const categoryPage = new URL(await panel.getByTestId("view-on-site").getAttribute("href"));
  expect(categoryPage.pathname === `/en/categories/${category.slug}/`, `the category's View on site: ${categoryPage}`);
  expect((await page.request.get(`${base}${categoryPage.pathname}`)).status() === 200, `${categoryPage.pathname} is not on the site`);
  await panel.getByLabel("Name (Persian)").fill("ignored");
  await panel.getByRole("button", { name: "Cancel" }).click();
  await panel.waitFor({ state: "detached" });
  expect((await api(page, `/api/admin/categories/${categoryId}/`)).body.name_fa === category.name_fa, "cancel saved the name");
  await edit.click();
  const newName = `دستهٔ تازه ${process.pid}`;
  await panel.getByLabel("Name (Persian)").fill(newName);
  await panel.getByRole("button", { name: "Save" }).click();
  await categoryRow.getByText(newName).waitFor();
  await panel.waitFor({ state: "detached" });
  await page.getByRole("link", { name: "Properties" }).click();
  await page.goto(`${base}/admin/properties/${id}`);
  await page.getByRole("button", { name: "فارسی" }).click();
  await page.waitForFunction((name) => document.querySelector('[data-testid="category-select"]')?.value === name, newName);
  // And the property list (cached on the server under admin:property:list) shows it too.
  await page.goto(`${base}/admin/properties?q=${process.pid}`);
  await page.locator(`tbody tr[data-id="${id}"]`).getByText(newName).waitFor();

  await bulkJob({ page, base, step, expect, api, settle, screen });
  const { userId } = await usersAndCache({ page, base, step, expect, api, settle, screen, newPage, context });
  await persianText({ page, base, step, settle, api, report: (problem) => problems.push(problem), id, userId });
  await concurrentEdits({ page, base, id, step, expect, api, settle, screen, newPage, context });
  await richText({ page, base, id, step, expect, api, screen });

  step("every screen in both languages: screenshots and axe");
  for (const lang of ["fa", "en"]) {
    const toggle = lang === "fa" ? "فارسی" : "English";
    if ((await page.evaluate(() => document.documentElement.lang)) !== lang) await page.getByRole("button", { name: toggle }).click();
    for (const [name, path] of [
      ["properties", "/properties"],
      ["properties-filtered-empty", "/properties?q=no-such-property-anywhere"],
      ["property-new", "/properties/new"],
      ["property-edit", `/properties/${id}`],
      ["categories", "/categories"],
      ["tags", "/tags"],
      ["options", "/options"],
      ["me", "/me"],
      ["users", "/users"],
      ["user-new", "/users/new"],
      ["user-edit", `/users/${userId}`],
      ["cache", "/cache"],
    ]) {
      await page.goto(`${base}/admin${path}`);
      await screen(page, name);
    }
  }

  step("nothing from the API is stored in the browser");
  const stored = await page.evaluate(async () => ({
    local: Object.keys(localStorage),
    session: Object.keys(sessionStorage),
    idb: (await indexedDB.databases()).map((d) => d.name),
  }));
  expect(
    stored.local.every((k) => k === "strata-admin-lang") && stored.session.length === 0 && stored.idb.length === 0,
    `browser storage: ${JSON.stringify(stored)}`,
  );

  step("log out");
  await page.getByRole("button", { name: /^(Log out|خروج)$/ }).click();
  await page.waitForURL(/\/admin\/login$/);
  const me = await page.request.get(`${base}/api/auth/me`);
  expect(me.status() === 401, `after logout /api/auth/me is ${me.status()}`);
  await context.close();
} catch (error) {
  failed = true;
  console.error(`admin e2e failed: ${error.stack ?? error}`);
  let n = 0;
  for (const context of browser.contexts()) {
    for (const open of context.pages()) {
      n += 1;
      await open.screenshot({ path: join(shots, `failure-${n}.png`), fullPage: true }).catch(() => undefined);
      console.error(`  failure-${n}.png: ${open.url()}`);
    }
  }
} finally {
  await browser.close();
  server.kill("SIGTERM");
  await new Promise((done) => (server.exitCode !== null ? done() : server.once("exit", done)));
  cleanUp();
  rmSync(work, { recursive: true, force: true });
}
for (const problem of problems) console.error(`  problem: ${problem}`);
if (failed || problems.length > 0) process.exit(1);
console.log(`admin e2e (${backend}) passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shots}`);
