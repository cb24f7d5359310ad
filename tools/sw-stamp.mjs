// Trunk post-build hook: writes this build's id and asset list into the staged sw.js,
// so each build gets its own cache and the worker precaches exactly what was built.
import { createHash } from "node:crypto";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

import { minifyGlue } from "./minify-js.mjs";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error("sw-stamp: TRUNK_STAGING_DIR is not set (run through trunk build)");
  process.exit(1);
}

// First, so the build id, the asset list and the compressed copies are of the minified glue.
await minifyGlue(staging);

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(staging)
  .map((p) => "/" + relative(staging, p).split(sep).join("/"))
  .filter((p) => p !== "/sw.js")
  .sort();
const hash = createHash("sha256");
for (const f of files) {
  hash.update(f);
  hash.update(readFileSync(join(staging, f)));
}
const build = hash.digest("hex").slice(0, 16);
const assets = ["/", ...files];
const swPath = join(staging, "sw.js");
const sw = readFileSync(swPath, "utf8");
if (!sw.includes("__DRAWLINE_BUILD__") || !sw.includes("__DRAWLINE_ASSETS__")) {
  console.error("sw-stamp: sw.js has no placeholders to stamp");
  process.exit(1);
}
writeFileSync(
  swPath,
  sw.replace('"__DRAWLINE_BUILD__"', JSON.stringify(build))
    .replace('"__DRAWLINE_ASSETS__"', JSON.stringify(assets)),
);
console.log(`sw-stamp: build ${build}, ${assets.length} assets precached`);

// Precompressed copies beside each text asset: the lab server sends `.br` or `.gz` to browsers
// that accept them (1.9 MB of wasm, JS and CSS becomes about 0.56 MB on the wire) without
// compressing on every request. They are not in the precache list: the browser caches the
// decoded response under the original name.
let saved = 0;
for (const f of files) {
  if (!/\.(wasm|js|css|html|svg|webmanifest)$/.test(f)) continue;
  const path = join(staging, f);
  const raw = readFileSync(path);
  const br = brotliCompressSync(raw, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
    },
  });
  writeFileSync(path + ".br", br);
  writeFileSync(path + ".gz", gzipSync(raw, { level: 9 }));
  saved += raw.length - br.length;
}
console.log(`sw-stamp: precompressed copies written (${saved} bytes fewer with brotli)`);
