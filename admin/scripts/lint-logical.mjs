// RTL is done with logical CSS only: refuses physical left/right in the admin's styles — CSS
// files, inline `style={{…}}` objects and Mantine's physical style props — so a layout written
// for one direction cannot silently break the other. `npm run lint` runs it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("../src", import.meta.url).pathname;
// CSS properties (kebab-case in .css, camelCase in style objects).
const PHYSICAL_CSS =
  /(?<![\w-])(margin|padding|border)-(left|right)(?![\w-])|(?<![\w-])(left|right)\s*:|(?<![\w-])border-(top|bottom)-(left|right)-radius|text-align\s*:\s*(left|right)|float\s*:\s*(left|right)|clear\s*:\s*(left|right)/g;
const PHYSICAL_JS =
  /\b(margin|padding|border)(Left|Right)\b|\b(left|right)\s*:|\btextAlign\s*:\s*["'](left|right)["']|\b(ml|mr|pl|pr)=\{|\b(ml|mr|pl|pr)="/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(css|tsx)$/.test(name)) yield path;
  }
}

let problems = 0;
for (const path of files(root)) {
  const pattern = path.endsWith(".css") ? PHYSICAL_CSS : PHYSICAL_JS;
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((line, index) => {
      for (const match of line.matchAll(pattern)) {
        problems += 1;
        console.error(`${relative(process.cwd(), path)}:${index + 1}: physical "${match[0].trim()}": use the logical property (inline-start/end)`);
      }
    });
}
if (problems > 0) process.exit(1);
