// Minifies wasm-bindgen's JS glue in Trunk's staging folder with terser from .tools (Trunk's own minifier fails on it) and re-pins its integrity hash in index.html.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const sri = (data) => "sha384-" + createHash("sha384").update(data).digest("base64");

// Minifies every `.js` file but the service worker in `staging`; release builds only, so a
// debug build stays readable in the browser's tools.
export async function minifyGlue(staging) {
  if (process.env.TRUNK_PROFILE !== "release") return;
  const tools = join(dirname(fileURLToPath(import.meta.url)), "..", ".tools");
  if (!existsSync(join(tools, "node_modules", "terser"))) {
    console.warn("minify-js: terser is not installed in .tools (`cargo xtask setup`): JS left as built");
    return;
  }
  const { minify } = createRequire(join(tools, "package.json"))("terser");
  const htmlPath = join(staging, "index.html");
  let html = readFileSync(htmlPath, "utf8");
  for (const name of readdirSync(staging)) {
    if (!name.endsWith(".js") || name === "sw.js") continue;
    const path = join(staging, name);
    const code = readFileSync(path, "utf8");
    const out = await minify(code, {
      module: true,
      compress: { passes: 2 },
      mangle: true,
      format: { comments: false },
    });
    // Trunk pins each asset's sha384 in index.html: the old pin must be there to be replaced,
    // or the browser would refuse the minified file.
    const before = sri(code);
    if (html.includes("integrity") && !html.includes(before)) {
      console.error(`minify-js: index.html does not pin ${name} as ${before}`);
      process.exit(1);
    }
    writeFileSync(path, out.code);
    html = html.replaceAll(before, sri(out.code));
    console.log(`minify-js: ${name} ${code.length} -> ${out.code.length} bytes`);
  }
  writeFileSync(htmlPath, html);
}
