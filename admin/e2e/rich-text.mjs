// End-to-end steps for issue 20, item 2 (called by run.mjs): a property's description is edited
// in a rich-text editor, not as raw HTML. Persian text with a bold word, a list and an English
// paragraph set left-to-right from the toolbar; the PATCH carries that field alone, as HTML
// made only of the tags and attributes RichText.tsx promises; the server keeps the formatting;
// a reload shows it formatted again.

// What RichText.tsx says the editor emits (and the server's sanitizer must keep).
const TAGS = new Set(["p", "h2", "h3", "strong", "em", "u", "s", "blockquote", "ul", "ol", "li", "br", "hr", "a"]);
const ATTRIBUTES = new Set(["dir", "href"]);

/** The tags and attributes in `html` (a page's parser reads it, as the admin's editor would). */
function inventory(page, html) {
  return page.evaluate((html) => {
    const tags = new Set();
    const attributes = new Set();
    for (const element of new DOMParser().parseFromString(html, "text/html").body.querySelectorAll("*")) {
      tags.add(element.localName);
      for (const attribute of element.attributes) attributes.add(`${element.localName}[${attribute.name}=${attribute.value}]`);
    }
    return { tags: [...tags], attributes: [...attributes] };
  }, html);
}

export async function richText({ page, base, id, step, expect, api, screen }) {
  const path = `/api/admin/properties/${id}/`;
  step("rich text: the Persian description is formatted in an editor, never typed as HTML");
  await page.goto(`${base}/admin/properties/${id}`);
  if ((await page.evaluate(() => document.documentElement.lang)) !== "en") await page.getByRole("button", { name: "English" }).click();
  const editor = page.locator('[contenteditable="true"][data-name="description_fa"]');
  await editor.waitFor();
  expect(!(await editor.innerText()).includes("<p>"), "the editor shows HTML tags as text");
  const toolbar = page.getByRole("toolbar", { name: "Formatting: Description (Persian)" });

  await editor.click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type("خانه‌ای ");
  await page.keyboard.press("Control+B");
  await page.keyboard.type("آفتابی");
  await page.keyboard.press("Control+B");
  await page.keyboard.type(" با حیاط.");
  await page.keyboard.press("Enter");
  await toolbar.getByRole("button", { name: "Bulleted list" }).click();
  await page.keyboard.type("نزدیک مترو");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await page.keyboard.type("Close to the metro.");
  await toolbar.getByRole("button", { name: "Left-to-right paragraph" }).click();
  expect((await editor.locator('p[dir="ltr"]').count()) === 1, "the English paragraph is not marked left-to-right");
  await screen(page, "property-rich-text");

  const sent = page.waitForRequest((r) => r.method() === "PATCH" && new URL(r.url()).pathname === path);
  await page.getByRole("button", { name: "Save", exact: true }).click();
  const body = (await sent).postDataJSON();
  expect(Object.keys(body).join() === "description_fa", `the PATCH sent ${Object.keys(body).join(", ")}`);
  const emitted = await inventory(page, body.description_fa);
  step(`  the editor sent tags ${emitted.tags.join(" ")}; attributes ${emitted.attributes.join(" ")}`);
  const stray = [...emitted.tags.filter((tag) => !TAGS.has(tag)), ...emitted.attributes.filter((a) => !ATTRIBUTES.has(/\[([^=]+)=/.exec(a)[1]))];
  expect(stray.length === 0, `the editor emitted what it should not: ${stray.join(", ")}`);
  await page.getByText("Saved").waitFor();

  const stored = (await api(page, path)).body.description_fa;
  expect(/<strong[^>]*>آفتابی<\/strong>/.test(stored) && /<li[^>]*>\s*<p[^>]*>نزدیک مترو<\/p>\s*<\/li>/.test(stored), `stored: ${stored}`);
  const kept = await inventory(page, stored);
  step(`  the server stored attributes ${kept.attributes.join(" ") || "(none)"}`);

  step("rich text: a reload shows the description formatted, in both languages");
  await page.reload();
  await editor.waitFor();
  await editor.locator("strong", { hasText: "آفتابی" }).waitFor();
  await editor.locator("ul li", { hasText: "نزدیک مترو" }).waitFor();
  await screen(page, "property-rich-text");
  await page.getByRole("button", { name: "فارسی" }).click();
  await screen(page, "property-rich-text");
  await page.getByRole("button", { name: "English" }).click();
}
