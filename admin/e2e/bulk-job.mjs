// End-to-end steps for bulk actions over every row matching a filter (called by run.mjs): the
// list filtered so that more rows match than one page shows, the page selected, then "all
// matching", archived by a server job whose progress the bar follows to the end; every
// matching row changed (checked through the API) and the list shows it without a reload.
// Then the same rows are published back, so the steps after this one find the data as it was.

/** Ids (and count) of the admin list for `query`, every page at once. */
async function matching(api, query) {
  const { status, body } = await api(`/api/admin/properties/?${query}&page_size=100`);
  if (status !== 200) throw new Error(`list ${query}: ${status} ${JSON.stringify(body)}`);
  return { count: body.count, ids: body.results.map((row) => row.id) };
}

async function english(page) {
  if ((await page.evaluate(() => document.documentElement.lang)) !== "en") await page.getByRole("button", { name: "English" }).click();
}

/** Selects the page, then every row the filter matches; `count` is what the bar must offer. */
async function selectAllMatching(page, expect, count) {
  const table = page.getByTestId("properties-table");
  const shown = await table.locator("tbody tr").count();
  expect(count > shown, `the filter matches ${count}, the page shows ${shown}: no second page`);
  await table.getByRole("checkbox", { name: "Select all" }).check();
  const offer = page.getByTestId("select-all-matching");
  await offer.waitFor();
  const text = await offer.innerText();
  expect(text.includes(String(count)), `the offer says "${text}", not ${count}`);
  await offer.click();
  await page.getByTestId("bulk-bar").getByText(`All ${count} properties matching this filter are selected.`).waitFor();
  return shown;
}

/** Runs `action` from the bar and waits for the job to end; returns its final state. */
async function runJob(page, action) {
  const bar = page.getByTestId("bulk-bar");
  await bar.getByRole("button", { name: action, exact: true }).click();
  const job = bar.locator('[data-testid="bulk-job"]');
  await job.waitFor();
  await bar.locator('[data-testid="bulk-job"]:not([data-state="running"])').waitFor({ timeout: 30_000 });
  return job.getAttribute("data-state");
}

export async function bulkJob({ page, base, step, expect, api, settle, screen }) {
  const get = (path) => api(page, path);

  step("bulk over every property matching a filter: select all matching, archive as a server job");
  await page.goto(`${base}/admin/properties?status=published`);
  await english(page);
  await settle(page);
  const published = await matching(get, "status=published");
  const shown = await selectAllMatching(page, expect, published.count);
  step(`  ${published.count} published properties match, ${shown} on the page`);
  await screen(page, "properties-bulk-all-matching");
  await page.getByRole("button", { name: "فارسی" }).click();
  await screen(page, "properties-bulk-all-matching");
  await english(page);
  await page.evaluate(() => {
    window.__notReloadedByJob = true;
  });
  const state = await runJob(page, "Archive");
  expect(state === "done", `the archive job ended ${state}`);
  const bar = page.getByTestId("bulk-bar");
  await bar.getByText(`${published.count} of ${published.count} processed`).waitFor();
  await screen(page, "properties-bulk-job-done");
  await page.getByRole("button", { name: "فارسی" }).click();
  await screen(page, "properties-bulk-job-done");
  await english(page);

  step("every matching row changed; the list shows it without a reload");
  const archived = new Set((await matching(get, "status=archived")).ids);
  const missed = published.ids.filter((id) => !archived.has(id));
  expect(missed.length === 0, `not archived by the job: ${missed.join(", ")}`);
  expect((await matching(get, "status=published")).count === 0, "published properties are left");
  // The page's filter (published) now matches nothing: the list says so, on this same page.
  await page.getByTestId("empty").waitFor({ timeout: 5000 });
  expect(await page.evaluate(() => window.__notReloadedByJob === true), "the list was reloaded");
  await bar.getByRole("button", { name: "Dismiss" }).click();

  step("publish them back, by the same kind of job over the archived ones");
  const before = await matching(get, "status=archived");
  await page.goto(`${base}/admin/properties?status=archived`);
  await settle(page);
  await selectAllMatching(page, expect, before.count);
  const back = await runJob(page, "Publish");
  expect(back === "done", `the publish job ended ${back}`);
  await page.getByTestId("empty").waitFor({ timeout: 5000 });
  const republished = new Set((await matching(get, "status=published")).ids);
  expect(
    before.ids.every((id) => republished.has(id)),
    "a matching row was not published",
  );
}
