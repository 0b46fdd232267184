/**
 * Compares Flint's FHIRPath evaluator with fhirpath.js on real resources: every search parameter
 * of each resource's type, and every composite component on each repetition, must give the same
 * items (type and value, in order). The resources are the R4 examples (hl7.fhir.r4.examples
 * 4.0.1), the US Core examples and two Synthea patient Bundles, read from `$FLINT_FIXTURES`, a
 * path relative to the repository root. The test is skipped when the folders do not exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import type { Bundle, Resource } from "fhir/r4";
import { describe, expect, it } from "vitest";
import { SEARCH_PARAMETERS } from "../../generated/search-parameters.ts";
import type { SearchParameterDefinition } from "../model.ts";
import { evaluateExpression, type FhirValue } from "./evaluate.ts";
import { evaluateWithFhirpathJs } from "./fhirpath-oracle.test-support.ts";

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");
const fixturesRoot = path.resolve(repositoryRoot, process.env.FLINT_FIXTURES ?? "../shared/fixtures");
const examplesDir = path.join(fixturesRoot, "fhir-r4-spec-examples", "examples");
const usCoreDir = path.join(fixturesRoot, "us-core-examples", "examples");
const syntheaDir = path.join(fixturesRoot, "synthea-r4-blaze", "patients");
const fixturesPresent = existsSync(examplesDir) && existsSync(syntheaDir);

if (!fixturesPresent) {
  console.warn(`Skipping the comparison with fhirpath.js: ${examplesDir} or ${syntheaDir} does not exist. Set FLINT_FIXTURES to the fixtures folder.`);
}

/** Counts of one comparison run, printed with the result. */
interface Tally {
  resources: number;
  evaluations: number;
  items: number;
  deviations: number;
  differences: string[];
}

/**
 * Tells whether two items differ only by the one deliberate deviation. Flint types `Resource.id`
 * as `id`, the type that R4 resource.html gives it and the generated definitions use.
 * fhirpath.js 5.2 reports System.String, the FHIRPath type of the element in the R4 snapshot.
 * Both convert to the same token.
 */
function isResourceIdDeviation(expression: string, flint: FhirValue, oracle: FhirValue | undefined): boolean {
  return /^[A-Za-z]+\.id$/.test(expression) && flint.type === "id" && oracle?.type === "string" && flint.value === oracle.value;
}

type Evaluator = (expression: string, context: unknown, resource: Resource) => FhirValue[];

function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => path.join(dir, file));
}

function readResource(file: string): Resource {
  return JSON.parse(readFileSync(file, "utf8")) as Resource;
}

function bundleResources(file: string): Resource[] {
  const bundle = readResource(file) as Bundle;
  return (bundle.entry ?? []).flatMap((entry) => (entry.resource === undefined ? [] : [entry.resource]));
}

/** Runs an evaluator and returns its items, or the error message it threw. */
function tryEvaluate(evaluate: Evaluator, expression: string, context: unknown, resource: Resource): FhirValue[] | string {
  try {
    return evaluate(expression, context, resource);
  } catch (error) {
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/**
 * Keeps the items that have a value. fhirpath.js also returns a primitive that has only an
 * extension (`_birthDate` without `birthDate`), with the value null, which FHIRPath and the
 * search converters do not treat as a value.
 */
function withValues(items: readonly FhirValue[]): FhirValue[] {
  return items.filter((item) => item.value !== null && item.value !== undefined);
}

function describeItems(items: readonly FhirValue[]): string {
  return JSON.stringify(items.map(({ type, value }) => ({ type, value })));
}

/** Compares the two results of one expression and records a difference; returns the results for composites. */
function compareExpression(tally: Tally, label: string, expression: string, contexts: [unknown, unknown], resource: Resource): [FhirValue[], FhirValue[]] | undefined {
  tally.evaluations++;
  const flint = tryEvaluate(evaluateExpression, expression, contexts[0], resource);
  const oracle = tryEvaluate(evaluateWithFhirpathJs, expression, contexts[1], resource);
  if (typeof flint === "string" || typeof oracle === "string") {
    if (flint !== oracle) tally.differences.push(`${label} ${expression}: Flint ${describeResult(flint)}, fhirpath.js ${describeResult(oracle)}`);
    return undefined;
  }

  const oracleItems = withValues(oracle);
  tally.items += Math.max(flint.length, oracleItems.length);
  const deviations = flint.filter((item, i) => isResourceIdDeviation(expression, item, oracleItems[i])).length;
  tally.deviations += deviations;
  const same =
    flint.length === oracleItems.length &&
    flint.every((item, i) => isResourceIdDeviation(expression, item, oracleItems[i]) || (item.type === oracleItems[i]?.type && isDeepStrictEqual(item.value, oracleItems[i]?.value)));
  if (!same) tally.differences.push(`${label} ${expression}: Flint ${describeItems(flint)}, fhirpath.js ${describeItems(oracleItems)}`);
  return [flint, oracle];
}

function describeResult(result: FhirValue[] | string): string {
  return typeof result === "string" ? result : describeItems(result);
}

/** Compares one parameter, and for a composite each component on each repetition. */
function compareParameter(tally: Tally, label: string, definition: SearchParameterDefinition, resource: Resource): void {
  const results = compareExpression(tally, label, definition.expression, [resource, resource], resource);
  if (definition.type !== "composite" || results === undefined) return;

  const [flintRepetitions, oracleRepetitions] = results;
  if (flintRepetitions.length !== oracleRepetitions.length) return;
  for (let i = 0; i < flintRepetitions.length; i++) {
    for (const component of definition.components ?? []) {
      const contexts: [unknown, unknown] = [flintRepetitions[i]!.node, oracleRepetitions[i]!.node];
      compareExpression(tally, `${label}[${i}].${component.code}`, component.expression, contexts, resource);
    }
  }
}

function compareResources(tally: Tally, source: string, resources: readonly Resource[]): void {
  for (const resource of resources) {
    tally.resources++;
    for (const definition of SEARCH_PARAMETERS[resource.resourceType] ?? []) {
      if (definition.type === "special") continue;
      compareParameter(tally, `${source} ${resource.resourceType}/${resource.id ?? "(no id)"} ${definition.code}:`, definition, resource);
    }
  }
}

describe.runIf(fixturesPresent)("FHIRPath evaluator against fhirpath.js", () => {
  it("matches on every fixture resource", () => {
    const tally: Tally = { resources: 0, evaluations: 0, items: 0, deviations: 0, differences: [] };

    for (const file of jsonFiles(examplesDir)) compareResources(tally, path.basename(file), [readResource(file)]);
    if (existsSync(usCoreDir)) {
      for (const file of jsonFiles(usCoreDir)) compareResources(tally, path.basename(file), [readResource(file)]);
    }
    for (const file of jsonFiles(syntheaDir).slice(0, 2)) compareResources(tally, path.basename(file), bundleResources(file));
    console.info(
      `Compared ${tally.items} items of ${tally.evaluations} expression evaluations on ${tally.resources} resources: ` +
        `${tally.differences.length} differences, ${tally.deviations} Resource.id items typed id instead of string.`,
    );

    expect(tally.resources).toBeGreaterThan(1_000);
    expect(tally.items).toBeGreaterThan(10_000);
    expect(tally.differences).toEqual([]);
  });
});
