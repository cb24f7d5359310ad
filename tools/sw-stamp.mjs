// Trunk post-build hook: writes this build's id and asset list into the staged sw.js,
// so each build gets its own cache and the worker precaches exactly what was built.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error("sw-stamp: TRUNK_STAGING_DIR is not set (run through trunk build)");
  process.exit(1);
}

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
