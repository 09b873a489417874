// The public site in Chromium, for crates/strata/tests/web_browser.rs: visits each page at each
// width and prints one JSON line per visit — axe-core's violations (WCAG 2.1 A and AA rules),
// how the cards of each grid fall into rows, how the gallery's large photo fits its frame, and
// console errors. The Rust test judges them. playwright-core and axe-core are the admin's
// (admin/node_modules, `npm ci` there), so the site needs no npm project of its own.
//
// Usage: node tests/site/browser.mjs <base URL> '<JSON: {"paths": [...], "widths": [...]}>'
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const admin = createRequire(join(repo, "admin/package.json"));
const { chromium } = admin("playwright-core");
const axeSource = readFileSync(admin.resolve("axe-core/axe.min.js"), "utf8");

const [base, plan] = process.argv.slice(2);
const { paths, widths } = JSON.parse(plan);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox"],
});
try {
  for (const width of widths) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    for (const path of paths) {
      const page = await context.newPage();
      const errors = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(String(e)));
      const response = await page.goto(`${base}${path}`, { waitUntil: "load" });
      // Every image loaded (the gallery's sizes are read from them), at rest for axe.
      await page.evaluate(async () => {
        document.querySelectorAll("img[loading=lazy]").forEach((img) => (img.loading = "eager"));
        await Promise.all([...document.images].map((img) => img.decode().catch(() => undefined)));
      });
      await page.mouse.move(0, 0);
      await page.evaluate(axeSource);
      const result = await page.evaluate(async () => {
        // eslint-disable-next-line no-undef
        const { violations } = await axe.run(document, {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
          resultTypes: ["violations"],
        });
        const grids = [...document.querySelectorAll(".grid")].map((grid) => {
          const rows = new Map();
          for (const card of grid.children) {
            const top = Math.round(card.getBoundingClientRect().top);
            rows.set(top, (rows.get(top) ?? 0) + 1);
          }
          return [...rows.values()];
        });
        const main = document.querySelector(".gallery-main img");
        const gallery = main && {
          fit: getComputedStyle(main).objectFit,
          natural: main.naturalWidth / main.naturalHeight,
          box: main.clientWidth / main.clientHeight,
          toolbar: main.closest("[data-gallery]").querySelector(".gallery-thumbs")?.getAttribute("role") ?? null,
        };
        return {
          violations: violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ")),
          })),
          grids,
          gallery,
        };
      });
      console.log(JSON.stringify({ path, width, status: response.status(), errors, ...result }));
      await page.close();
    }
    await context.close();
  }
} finally {
  await browser.close();
}
