// End-to-end steps for the property's images (called by run.mjs on the created, published
// property's edit page, English UI): upload two generated PNGs (and a file that is not an image)
// with previews and progress, reorder by keyboard in both directions, delete one, then the public
// API and page show what is left on the first request.
import { crc32, deflateSync } from "node:zlib";

/** A whole PNG (8-bit RGB), `width`×`height`, a gradient from `from` to `to`: small, valid
 * (chunk CRCs included, which the server checks) and different for each call. */
function png(width, height, from, to) {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x += 1) {
      const t = (x + y) / (width + height);
      for (let c = 0; c < 3; c += 1) raw[row + 1 + x * 3 + c] = Math.round(from[c] + (to[c] - from[c]) * t);
    }
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", header), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

export async function images({ page, base, id, step, expect, api, screen }) {
  const section = page.getByTestId("property-images");
  const thumbnails = section.locator("[data-image-id]");
  const live = section.getByTestId("images-live");
  const handle = (imageId) => section.locator(`[data-image-id="${imageId}"] [data-control="handle"]`);
  const alts = async () => (await api(page, `/api/admin/properties/${id}/`)).body.images.map((image) => image.alt);
  const shownIds = () => thumbnails.evaluateAll((items) => items.map((item) => Number(item.dataset.imageId)));
  const waitForAlts = async (expected) => {
    for (let i = 0; i < 50; i += 1) {
      if (JSON.stringify(await alts()) === JSON.stringify(expected)) return;
      await page.waitForTimeout(100);
    }
    throw new Error(`images are ${JSON.stringify(await alts())}, expected ${JSON.stringify(expected)}`);
  };

  step("images: none yet; choose two PNGs and a file that is not an image, see their previews");
  await section.getByTestId("images-empty").waitFor();
  await section.locator('input[type="file"]').setInputFiles([
    { name: "red-front.png", mimeType: "image/png", buffer: png(160, 120, [190, 40, 40], [250, 200, 120]) },
    { name: "blue-garden.png", mimeType: "image/png", buffer: png(120, 160, [30, 60, 170], [140, 220, 160]) },
    { name: "notes.png", mimeType: "image/png", buffer: Buffer.from("these are notes, not an image") },
  ]);
  const queued = section.getByTestId("upload-item");
  await queued.nth(2).waitFor();
  const previews = await queued.locator("img").evaluateAll((imgs) =>
    Promise.all(imgs.map((img) => img.decode().then(() => ({ src: img.src, width: img.naturalWidth }), () => ({ src: img.src, width: 0 })))),
  );
  expect(previews.every((p) => p.src.startsWith("blob:")), `previews: ${JSON.stringify(previews)}`);
  expect(previews[0].width === 160 && previews[1].width === 120, `previews not drawn: ${JSON.stringify(previews)}`);
  await queued.nth(0).getByLabel("Alternative text (describes the image)").fill("Red front");
  await queued.nth(1).getByLabel("Alternative text (describes the image)").fill("Blue garden");

  step("upload: a progress bar per file, then thumbnails; the API's refusal stays on its file");
  // The answers are held back a little so the bar can be seen.
  await page.route(`**/api/admin/properties/${id}/images/`, async (route) => {
    await new Promise((ok) => setTimeout(ok, 300));
    await route.continue();
  });
  // Every progress bar that appears, and the furthest it got; and the object URLs revoked.
  await page.evaluate(() => {
    window.__revoked = [];
    const revoke = URL.revokeObjectURL;
    URL.revokeObjectURL = (url) => {
      window.__revoked.push(url);
      revoke.call(URL, url);
    };
    window.__bars = {};
    const seen = () => {
      for (const bar of document.querySelectorAll("progress")) {
        const name = bar.getAttribute("aria-label");
        window.__bars[name] = Math.max(window.__bars[name] ?? 0, bar.value);
      }
    };
    new MutationObserver(seen).observe(document.body, { subtree: true, childList: true, attributes: true });
  });
  await section.getByRole("button", { name: /^Upload/ }).click();
  const refused = queued.filter({ hasText: "notes.png" });
  await refused.getByRole("alert").getByText("Not an image", { exact: false }).waitFor();
  await page.unroute(`**/api/admin/properties/${id}/images/`);
  const bars = await page.evaluate(() => window.__bars);
  expect(bars["Uploading: red-front.png"] === 1 && bars["Uploading: blue-garden.png"] === 1, `progress bars: ${JSON.stringify(bars)}`);
  expect((await thumbnails.count()) === 2, `thumbnails: ${await thumbnails.count()}`);
  expect((await queued.count()) === 1, "the uploaded files are still queued");
  const revoked = await page.evaluate(() => window.__revoked);
  expect(revoked.includes(previews[0].src) && revoked.includes(previews[1].src) && !revoked.includes(previews[2].src), `revoked: ${revoked}`);
  expect(JSON.stringify(await alts()) === '["Red front","Blue garden"]', `uploaded: ${JSON.stringify(await alts())}`);
  const [red, blue] = await shownIds();
  const drawn = await thumbnails.locator("img").evaluateAll((imgs) => imgs.map((img) => img.complete && img.naturalWidth > 0 && img.alt));
  expect(JSON.stringify(drawn) === '["Red front","Blue garden"]', `thumbnails: ${JSON.stringify(drawn)}`);
  await screen(page, "property-images");
  await refused.getByRole("button", { name: "Remove: notes.png" }).click();
  await queued.first().waitFor({ state: "detached" });
  expect((await page.evaluate(() => window.__revoked)).includes(previews[2].src), "the removed file's preview was not revoked");

  step("reorder by keyboard: Space picks up, the right arrow moves later (LTR), Space drops");
  await handle(red).focus();
  await page.keyboard.press("Space");
  expect((await handle(red).getAttribute("aria-pressed")) === "true", "Space did not pick the image up");
  await page.keyboard.press("ArrowRight");
  expect((await live.innerText()).includes("Position 2 of 2"), `announced: ${await live.innerText()}`);
  await page.keyboard.press("Space");
  await waitForAlts(["Blue garden", "Red front"]);
  await live.getByText("Order saved", { exact: false }).waitFor();
  expect(JSON.stringify(await shownIds()) === JSON.stringify([blue, red]), `shown: ${await shownIds()}`);
  expect(await page.evaluate(() => document.activeElement?.closest("[data-image-id]")?.getAttribute("data-image-id")) === String(red), "focus left the moved image");

  step("Escape puts a picked-up image back without saving");
  await handle(blue).focus();
  await page.keyboard.press("Space");
  await page.keyboard.press("ArrowRight");
  expect(JSON.stringify(await shownIds()) === JSON.stringify([red, blue]), "the image did not move");
  await page.keyboard.press("Escape");
  expect(JSON.stringify(await shownIds()) === JSON.stringify([blue, red]), "Escape did not put it back");
  expect(JSON.stringify(await alts()) === '["Blue garden","Red front"]', "Escape saved an order");

  step("in Persian (RTL) the left arrow moves later");
  await page.getByRole("button", { name: "فارسی" }).click();
  await page.waitForFunction(() => document.documentElement.dir === "rtl");
  await handle(blue).focus();
  await page.keyboard.press("Space");
  await page.keyboard.press("ArrowLeft");
  await page.keyboard.press("Space");
  await waitForAlts(["Red front", "Blue garden"]);
  await screen(page, "property-images");
  await page.getByRole("button", { name: "English" }).click();
  await page.waitForFunction(() => document.documentElement.dir === "ltr");

  step("reorder by pointer: drag an image onto another's place");
  await section.locator(`[data-image-id="${red}"]`).dragTo(section.locator(`[data-image-id="${blue}"]`));
  await waitForAlts(["Blue garden", "Red front"]);
  expect(JSON.stringify(await shownIds()) === JSON.stringify([blue, red]), `after the drag: ${await shownIds()}`);

  step("delete one, after confirming; focus goes to the one left");
  page.once("dialog", (dialog) => void dialog.accept());
  await section.locator(`[data-image-id="${blue}"]`).getByRole("button", { name: /^Delete/ }).click();
  await section.locator(`[data-image-id="${blue}"]`).waitFor({ state: "detached" });
  await waitForAlts(["Red front"]);
  await page.waitForFunction((id) => document.activeElement?.closest("[data-image-id]")?.getAttribute("data-image-id") === String(id), red);

  step("the public API has the remaining image on the first request, and so does the public page");
  const published = await api(page, `/api/properties/${id}/?lang=en`);
  const urls = published.body.images?.map((image) => image.url);
  expect(published.status === 200 && urls?.length === 1, `public images: ${JSON.stringify(published.body.images)}`);
  const file = await page.request.get(`${base}${urls[0]}`);
  expect(file.status() === 200 && file.headers()["content-type"] === "image/png", `${urls[0]}: ${file.status()} ${file.headers()["content-type"]}`);
  const html = await (await page.request.get(`${base}/en/properties/${encodeURIComponent(published.body.slug)}/`)).text();
  expect(html.includes(`src="${urls[0]}"`) && html.includes('alt="Red front"'), `the public page does not show ${urls[0]}`);

  step("numbers in Persian: the list's prices, count and pages in Persian digits; previous points right");
  await page.getByRole("button", { name: "فارسی" }).click();
  await page.getByRole("link", { name: "املاک" }).click();
  const row = page.locator(`tbody tr[data-id="${id}"]`);
  await row.waitFor();
  const price = await row.locator("td").last().innerText();
  expect(price === "۱٬۵۰۰٬۰۰۰٬۰۰۰", `price cell: ${price}`);
  const pager = page.getByTestId("pager").locator("button");
  const controls = await pager.evaluateAll((buttons) =>
    buttons.map((b) => ({ text: b.innerText, x: b.getBoundingClientRect().x, transform: b.querySelector("svg") && getComputedStyle(b.querySelector("svg")).transform })),
  );
  const [previous, first] = [controls[0], controls[1]];
  const next = controls.at(-1);
  expect(first.text === "۱", `page numbers: ${JSON.stringify(controls)}`);
  // Right to left: previous stands rightmost, its icon (a left chevron) turned to point right.
  expect(previous.x > next.x && previous.transform.startsWith("matrix(-1") && next.transform.startsWith("matrix(-1"), `pager in RTL: ${JSON.stringify(controls)}`);
  await page.getByRole("button", { name: "English" }).click();
  await page.goto(`${base}/admin/properties/${id}`);
}
