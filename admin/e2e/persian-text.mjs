// End-to-end check for issue 20, item 3 (called by run.mjs): the Persian admin is in Persian.
// On every screen, the visible text (document.body.innerText) has no Latin word outside a short
// allow-list — not counting inputs' values (innerText has none), URLs, email addresses, and
// elements whose `lang` is not Persian: data written in another language says so (an English
// name, a username in Latin letters), the language switch is English on purpose.
//
// It is a check of the admin's own words, not of what editors write: run.mjs runs it before the
// steps that put Latin words into Persian texts on purpose (the two-tab test's "(A)" in a
// Persian title, the rich-text test's English paragraph in the Persian description).
//
// Against the admin before the fix this fails (checked by running it on that build, see the
// report): the role on "me" (`admin`), the store on the dashboard (`memory`), its namespace
// codes, "TTL", "API", the key names of the images' hint, usernames and slugs without a `lang`.

/** Names that Persian writes in Latin letters too: the product's, Redis's, and the Esc key's cap. */
const ALLOWED = ["Strata", "Redis", "Esc"];

/** The Latin words of the page's visible Persian text, each once. */
export async function latinWords(page) {
  return page.evaluate((allowed) => {
    // innerText leaves out what is not visible: hide, for the count, what is in another language.
    const foreign = [...document.body.querySelectorAll("[lang]")].filter((el) => !/^fa(-|$)/i.test(el.getAttribute("lang") ?? ""));
    const before = foreign.map((el) => el.style.visibility);
    for (const el of foreign) el.style.visibility = "hidden";
    const text = document.body.innerText;
    foreign.forEach((el, i) => {
      el.style.visibility = before[i];
    });
    const words = text.replace(/\b(https?:\/\/|www\.)\S+/g, " ").replace(/\S+@\S+\.\S+/g, " ").match(/[A-Za-z]+/g) ?? [];
    return [...new Set(words)].filter((word) => !allowed.includes(word));
  }, ALLOWED);
}

/** Reports each screen's Latin words as a problem of the run (which then fails), and goes on:
 * the steps after it still run. */
export async function persianText({ page, base, step, settle, api, report, id, userId }) {
  step("the Persian admin: no Latin word on any screen, outside the allow-list and text in another language");
  if ((await page.evaluate(() => document.documentElement.lang)) !== "fa") await page.getByRole("button", { name: "فارسی" }).click();
  // A demo property with tags and options too: the form shows their names.
  let withTerms = null;
  for (const item of (await api(page, "/api/admin/properties/?page_size=50")).body.results) {
    const detail = (await api(page, `/api/admin/properties/${item.id}/`)).body;
    if (detail.options.length > 0 && detail.tags.length > 0) {
      withTerms = detail.id;
      break;
    }
  }
  if (withTerms === null) report("no demo property with tags and options for the Persian check");
  const check = async (name) => {
    await settle(page);
    const words = await latinWords(page);
    if (words.length > 0) report(`Latin words in the Persian admin, ${name}: ${words.join(" ")}`);
  };
  for (const [name, path] of [
    ["dashboard", "/"],
    ["properties", "/properties"],
    ["property form", `/properties/${id}`],
    ["property form with tags and options", `/properties/${withTerms}`],
    ["new property", "/properties/new"],
    ["categories", "/categories"],
    ["tags", "/tags"],
    ["options", "/options"],
    ["users", "/users"],
    ["user form", `/users/${userId}`],
    ["me", "/me"],
  ]) {
    await page.goto(`${base}/admin${path}`);
    await check(name);
  }
  step("  and with a category open for editing, and on the cache dashboard with its charts drawn");
  await page.goto(`${base}/admin/categories`);
  await page.getByTestId("terms-table").locator("tbody tr").first().getByRole("button", { name: /^ویرایش/ }).click();
  await page.getByTestId("term-edit").waitFor();
  await check("category being edited");
  await page.goto(`${base}/admin/cache`);
  // One poll after the first: the page cache's charts have a point.
  await page.waitForRequest((request) => request.url().endsWith("/api/admin/cache/stats/"), { timeout: 10_000 });
  await check("cache");
}
