// End-to-end steps for issue 20, item 1 (called by run.mjs): the same object edited at once,
// in two tabs of one login (the BroadcastChannel between them) and by two editors in two
// browser contexts (nothing between them but the server). Nothing one saves is ever overwritten
// by the other's save; a field both changed is shown with both values for the editor to choose.
//
// Against the SPA before the fix these steps fail (checked by running them on the commit before
// it, see the report): its PATCH sent every field of the form as first read, without If-Match,
// so the second save wrote the first one's fields back — "B's save reverted A's title".

const json = { "Content-Type": "application/json" };
/** The price field: in tomans, the unit the site shows (the stored rials ÷ 10). */
const PRICE = "Price (toman)";

async function english(page) {
  if ((await page.evaluate(() => document.documentElement.lang)) !== "en") await page.getByRole("button", { name: "English" }).click();
}

/** A write through the page's session (CSRF header from its cookie), as the SPA makes it. */
function write(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body, json }) => {
      const csrf = /(?:^|;\s*)csrftoken=([^;]*)/.exec(document.cookie)?.[1] ?? "";
      const response = await fetch(path, { method, headers: { ...json, "X-CSRFToken": decodeURIComponent(csrf) }, body: JSON.stringify(body) });
      return { status: response.status, body: await response.json().catch(() => null) };
    },
    { method, path, body, json },
  );
}

/** Every PATCH `page` sends to `path`: its If-Match and the body's field names. */
function recordPatches(page, path) {
  const sent = [];
  page.on("request", (request) => {
    if (request.method() === "PATCH" && new URL(request.url()).pathname === path) {
      sent.push({ ifMatch: request.headers()["if-match"], fields: Object.keys(request.postDataJSON() ?? {}).sort() });
    }
  });
  return sent;
}

/** Clicks Save (in `scope`) and resolves with the status of the write it sent. */
async function save(page, path, scope = page) {
  const answer = page.waitForResponse((r) => ["PATCH", "PUT"].includes(r.request().method()) && new URL(r.url()).pathname === path);
  await scope.getByRole("button", { name: "Save", exact: true }).click();
  return (await answer).status();
}

/** A form's text field by its label (a conflict's radio group carries the same label), in a page
 * or in one form of it. */
function field(scope, label) {
  return scope.getByRole("textbox", { name: label, exact: true });
}

async function valueOf(page, label) {
  return field(page, label).inputValue();
}

/** Waits (5 s at most) until the field labelled `label` shows `value`. */
async function shows(page, label, value, what) {
  for (let tries = 0; tries < 50; tries += 1) {
    if ((await valueOf(page, label)) === value) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${what}: "${label}" shows "${await valueOf(page, label)}", not "${value}"`);
}

async function loggedIn(browser, base, newPage, username, password) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const tab = await newPage(context, username);
  await tab.goto(`${base}/admin/login`);
  await tab.getByRole("button", { name: "English" }).click();
  await tab.getByLabel("Username").fill(username);
  await tab.locator('input[name="password"]').fill(password);
  await tab.getByRole("button", { name: "Log in" }).click();
  await tab.getByRole("navigation").getByRole("link", { name: "Properties" }).waitFor();
  return { context, tab };
}

export async function concurrentEdits({ page, base, id, step, expect, api, settle, screen, newPage, context }) {
  const path = `/api/admin/properties/${id}/`;
  const property = async () => (await api(page, path)).body;
  const form = `${base}/admin/properties/${id}`;

  step("two tabs: A saves a new title; B, untouched, shows it; B changes only the price");
  const a = page;
  await a.goto(form);
  await english(a);
  const b = await newPage(context, "tab B");
  await b.goto(form);
  await english(b);
  for (const tab of [a, b]) await field(tab, "Title (Persian)").waitFor();
  const before = await property();
  expect(typeof before.version === "number", `GET ${path} has no version: ${JSON.stringify(before).slice(0, 200)}`);
  const fromB = recordPatches(b, path);
  const titleA = `${before.title_fa} (A)`;
  await field(a, "Title (Persian)").fill(titleA);
  expect((await save(a, path)) === 200, "A's save failed");
  // B hears of it over the BroadcastChannel, as its heading shows.
  await b.getByRole("heading", { name: new RegExp(titleA.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) }).waitFor({ timeout: 5000 });
  // QA's steps first, the checks after: the worst symptom (A's title reverted) is the one
  // reported when they fail.
  const bTitle = await valueOf(b, "Title (Persian)");
  const afterA = await property();
  await field(b, PRICE).fill("1234567");
  expect((await save(b, path)) === 200, "B's save failed");
  const afterB = await property();
  expect(afterB.title_fa === titleA, `B's save reverted A's title: "${afterB.title_fa}", not "${titleA}"`);
  expect(bTitle === titleA, `B's form showed the title "${bTitle}" after A saved "${titleA}"`);
  expect(Number(afterB.price) === 12345670, `B's price (1,234,567 toman) was not saved in rials: ${afterB.price}`);
  const patch = fromB.at(-1);
  expect(patch?.fields.join() === "price", `B's PATCH sent ${patch?.fields.join(", ")}, not the price alone`);
  expect(patch?.ifMatch === `"${afterA.version}"`, `B's PATCH had If-Match ${patch?.ifMatch}, not "${afterA.version}"`);
  // And A, untouched since its save, follows B's.
  await shows(a, PRICE, "1,234,567", "A's form after B's save");

  step("two tabs: both change the title; B is shown theirs and mine, and saves nothing until it chooses");
  await field(b, "Title (Persian)").fill(`${titleA} B`);
  await field(a, "Title (Persian)").fill(`${titleA} A2`);
  expect((await save(a, path)) === 200, "A's second save failed");
  const conflict = b.getByTestId("conflict-title_fa");
  await conflict.waitFor({ timeout: 5000 });
  const offered = await conflict.innerText();
  expect(offered.includes(`${titleA} A2`) && offered.includes(`${titleA} B`), `B's conflict offers: ${offered}`);
  expect((await valueOf(b, "Title (Persian)")) === `${titleA} B`, "B's own title was replaced before it chose");
  await screen(b, "property-conflict");
  await b.getByRole("button", { name: "فارسی" }).click();
  await screen(b, "property-conflict");
  await english(b);
  const sentBefore = fromB.length;
  // Save before choosing: nothing is sent, the focus goes to the choice (keyboard users land on it).
  await b.getByRole("button", { name: "Save", exact: true }).click();
  await b.waitForFunction(() => document.activeElement instanceof HTMLInputElement && document.activeElement.type === "radio");
  expect(fromB.length === sentBefore, "B saved with a conflict unresolved");
  // Down arrow: from "Their value" to "Your value", which selects it.
  await b.keyboard.press("ArrowDown");
  await b.locator('[data-testid="conflict-title_fa"][data-choice="mine"]').waitFor();
  expect((await save(b, path)) === 200, "B's save after choosing failed");
  expect((await property()).title_fa === `${titleA} B`, "B's chosen title was not saved");
  expect(fromB.at(-1)?.fields.join() === "title,title_fa", `B's PATCH after choosing sent ${fromB.at(-1)?.fields.join(", ")}`);
  await shows(a, "Title (Persian)", `${titleA} B`, "A's form after B's resolved save");
  await b.close();

  step("two editors (two logins, no channel between them): a stale save is refused and merged, never written over");
  const password = "e2e-editor-password-1";
  const editors = [`e2e-x-${process.pid}`, `e2e-y-${process.pid}`];
  for (const username of editors) {
    const created = await write(page, "POST", "/api/admin/users/", { username, email: `${username}@example.com`, role: "editor", password });
    expect(created.status === 201, `creating ${username}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const x = await loggedIn(context.browser(), base, newPage, editors[0], password);
  const y = await loggedIn(context.browser(), base, newPage, editors[1], password);
  try {
    for (const { tab } of [x, y]) {
      await tab.goto(form);
      await field(tab, "Title (Persian)").waitFor();
    }
    const fromY = recordPatches(y.tab, path);
    const districtX = `District X ${process.pid}`;
    await field(x.tab, "District (English)").fill(districtX);
    expect((await save(x.tab, path)) === 200, "X's save failed");
    // Y has heard nothing (no channel; its 30 s poll has not come): its first save is stale.
    await field(y.tab, PRICE).fill("7654321");
    const stale = await save(y.tab, path);
    let now = await property();
    expect(now.district_en === districtX, `Y's save reverted X's district: "${now.district_en}"`);
    expect(stale === 412, `Y's stale save answered ${stale}, not 412`);
    expect(fromY.at(-1)?.fields.join() === "price", `Y's PATCH sent ${fromY.at(-1)?.fields.join(", ")}`);
    await y.tab.getByTestId("changed-elsewhere").waitFor();
    await shows(y.tab, "District (English)", districtX, "Y's form after the 412");
    expect((await valueOf(y.tab, PRICE)) === "7,654,321", "Y's price was lost in the merge");
    await settle(y.tab);
    await screen(y.tab, "property-refused");
    expect((await save(y.tab, path)) === 200, "Y's second save failed");
    now = await property();
    expect(now.district_en === districtX && Number(now.price) === 76543210, `after Y's second save: ${now.district_en}, ${now.price}`);

    step("two editors: X, which has not heard of Y's save, is refused in turn; Y, untouched, takes X's save when its window regains focus");
    const cityX = `City X ${process.pid}`;
    await field(x.tab, "City (English)").fill(cityX);
    expect((await save(x.tab, path)) === 412, "X's stale city save was not refused");
    await shows(x.tab, PRICE, "7,654,321", "X's form after its 412");
    expect((await save(x.tab, path)) === 200, "X's second city save failed");
    await y.tab.evaluate(() => window.dispatchEvent(new Event("visibilitychange")));
    await shows(y.tab, "City (English)", cityX, "Y's form after regaining focus");

    step("two editors: both change the English title; Y's 412 offers both, Y keeps theirs");
    await field(x.tab, "Title (English)").fill(`Title X ${process.pid}`);
    await field(y.tab, "Title (English)").fill(`Title Y ${process.pid}`);
    expect((await save(x.tab, path)) === 200, "X's title save failed");
    expect((await save(y.tab, path)) === 412, "Y's conflicting save was not refused");
    const yConflict = y.tab.getByTestId("conflict-title_en");
    await yConflict.waitFor();
    expect((await property()).title_en === `Title X ${process.pid}`, "Y's refused save wrote its title");
    await yConflict.getByRole("radio", { name: /Their value/ }).focus();
    await y.tab.keyboard.press("Space");
    await y.tab.locator('[data-testid="conflict-title_en"][data-choice="theirs"]').waitFor();
    await shows(y.tab, "Title (English)", `Title X ${process.pid}`, "Y's form after choosing theirs");
    // Theirs was Y's only change: saving has nothing to send, and the notices go.
    const sentByY = fromY.length;
    await y.tab.getByRole("button", { name: "Save", exact: true }).click();
    await y.tab.getByTestId("changed-elsewhere").waitFor({ state: "detached" });
    expect(fromY.length === sentByY, "Y sent a PATCH with nothing changed");
    expect((await property()).title_en === `Title X ${process.pid}`, "Y's choice of theirs changed the title");

    step("two editors on one tag: a stale save merges the other's name, then saves its own");
    const tag = (await api(page, "/api/admin/tags/?page_size=1&ordering=name")).body.results[0];
    const tagPath = `/api/admin/tags/${tag.id}/`;
    for (const { tab } of [x, y]) {
      await tab.goto(`${base}/admin/tags`);
      await tab.locator(`[data-testid="terms-table"] tbody tr[data-id="${tag.id}"]`).getByRole("button", { name: /^Edit/ }).click();
      // The edit panel under the row, once the tag's detail is read.
      await tab.getByTestId("term-edit").waitFor();
    }
    const [xForm, yForm] = [x.tab.getByTestId("term-edit"), y.tab.getByTestId("term-edit")];
    const nameX = `${tag.name_en} x${process.pid}`;
    const nameY = `${tag.name_fa} ی${process.pid}`;
    await field(xForm, "Name (English)").fill(nameX);
    expect((await save(x.tab, tagPath, xForm)) === 200, "X's tag save failed");
    await field(yForm, "Name (Persian)").fill(nameY);
    const tagStale = await save(y.tab, tagPath, yForm);
    let tagNow = (await api(page, tagPath)).body;
    expect(tagNow.name_en === nameX, `Y's tag save reverted X's name: "${tagNow.name_en}"`);
    expect(tagStale === 412, `Y's stale tag save answered ${tagStale}`);
    await shows(yForm, "Name (English)", nameX, "Y's tag form after the 412");
    expect((await save(y.tab, tagPath, yForm)) === 200, "Y's second tag save failed");
    tagNow = (await api(page, tagPath)).body;
    expect(tagNow.name_en === nameX && tagNow.name_fa === nameY, `the tag after both saves: ${JSON.stringify(tagNow)}`);
  } finally {
    await x.context.close();
    await y.context.close();
  }

  step("two tabs on a user: B, untouched, takes A's email; B's role change sends the role alone");
  const userId = (await api(page, `/api/admin/users/?q=${editors[0]}`)).body.results[0].id;
  const userPath = `/api/admin/users/${userId}/`;
  const userForm = `${base}/admin/users/${userId}`;
  await a.goto(userForm);
  const ub = await newPage(context, "tab B (user)");
  await ub.goto(userForm);
  for (const tab of [a, ub]) await field(tab, "Email").waitFor();
  const fromUb = recordPatches(ub, userPath);
  const email = `x-${process.pid}@example.org`;
  await field(a, "Email").fill(email);
  expect((await save(a, userPath)) === 200, "A's email save failed");
  await shows(ub, "Email", email, "B's user form after A's save");
  await ub.getByTestId("role-select").click();
  await ub.getByRole("option", { name: "Support", exact: true }).click();
  expect((await save(ub, userPath)) === 200, "B's role save failed");
  const user = (await api(page, userPath)).body;
  expect(user.email === email && user.role === "support", `the user after both saves: ${JSON.stringify(user)}`);
  expect(fromUb.at(-1)?.fields.join() === "role", `B's user PATCH sent ${fromUb.at(-1)?.fields.join(", ")}`);
  await ub.close();
}
