// Validates FHIR R4 JSON files with an independent validator (Lantana's FHIR.js, npm `fhir`, installed in .tools by `cargo xtask setup`): structure, required elements, cardinality, required value sets, unknown elements.
//
// Usage: node tools/fhir-validate.mjs FILE.json...
// Exit 0 when every file is valid, 1 when any has an error or a warning (printed, one per line,
// as `file: location: message`), 2 on bad usage or unreadable JSON, 3 when the validator is not
// installed (the tests skip on 3 unless CI is set).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const tools = join(dirname(fileURLToPath(import.meta.url)), "..", ".tools");
if (!existsSync(join(tools, "node_modules", "fhir", "package.json"))) {
  console.error("fhir-validate: the FHIR validator (npm `fhir`) is not installed in .tools: run `cargo xtask setup`");
  process.exit(3);
}
const require = createRequire(join(tools, "package.json"));
const { Fhir } = require("fhir");
const { version } = require("fhir/package.json");

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/fhir-validate.mjs FILE.json...");
  process.exit(2);
}
// `new Fhir()` loads the structure definitions and value sets bundled with the package: FHIR R4.
const fhir = new Fhir();
let problems = 0;
for (const file of files) {
  let resource;
  try {
    resource = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    console.error(`${file}: not JSON: ${e.message}`);
    process.exit(2);
  }
  const result = fhir.validate(resource);
  // Errors count, and so do warnings (FHIR.js reports unknown elements as warnings, and R4
  // forbids them), except a code outside a value set it does not bundle under a binding that is
  // not `required` (LOINC, SNOMED, HL7 v2 tables): R4 allows those codes, and a required binding's
  // miss is an error. Information messages are left out.
  const terminologyOnly = (m) => m.severity === "warning" && / not found in value set$/.test(m.message);
  for (const m of result.messages.filter((m) => m.severity !== "info" && !terminologyOnly(m))) {
    console.log(`${file}: ${m.severity}: ${m.location}: ${m.message}`);
    problems += 1;
  }
  if (!result.valid && result.messages.length === 0) {
    console.log(`${file}: invalid`);
    problems += 1;
  }
}
console.log(`fhir-validate (FHIR.js ${version}, R4): ${files.length} file(s), ${problems} problem(s)`);
process.exit(problems === 0 ? 0 : 1);
