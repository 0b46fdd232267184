/**
 * Extracts every search parameter from the official R4 examples (hl7.fhir.r4.examples 4.0.1) and
 * from the largest Synthea patient Bundle. The fixtures are read from `$FLINT_FIXTURES`, a path
 * relative to the repository root, and the tests are skipped when it does not exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Bundle, Resource } from "fhir/r4";
import { describe, expect, it } from "vitest";
import { extractSearchValues } from "./extract.ts";
import type { IndexValue } from "./model.ts";

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const fixturesRoot = path.resolve(repositoryRoot, process.env.FLINT_FIXTURES ?? "../shared/fixtures");
const examplesDir = path.join(fixturesRoot, "fhir-r4-spec-examples", "examples");
const syntheaFile = path.join(fixturesRoot, "synthea-r4-blaze", "patients", "4b86befa-fa7e-9285-615f-e081dab3f93c.json");
const examplesPresent = existsSync(examplesDir);
const syntheaPresent = existsSync(syntheaFile);

if (!examplesPresent) console.warn(`Skipping the R4 example extraction tests: ${examplesDir} does not exist. Set FLINT_FIXTURES to the fixtures folder.`);
if (!syntheaPresent) console.warn(`Skipping the Synthea extraction test: ${syntheaFile} does not exist. Set FLINT_FIXTURES to the fixtures folder.`);

function readExample(file: string): Resource {
  return JSON.parse(readFileSync(path.join(examplesDir, file), "utf8")) as Resource;
}

function valuesOf(file: string, code: string): IndexValue[] {
  return extractSearchValues(readExample(file)).get(code) ?? [];
}

describe.runIf(examplesPresent)("search values of the R4 examples", () => {
  it("every example extracts without error", () => {
    const files = readdirSync(examplesDir).filter((file) => file.endsWith(".json"));
    const failures: string[] = [];
    let parameters = 0;

    for (const file of files) {
      try {
        parameters += extractSearchValues(readExample(file)).size;
      } catch (error) {
        failures.push(`${file}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }

    expect(files).toHaveLength(745);
    expect(failures).toEqual([]);
    expect(parameters).toBeGreaterThan(5_000);
  });

  it("Patient-example family is normalized", () => {
    expect(valuesOf("Patient-example.json", "family")).toContainEqual({ type: "string", exact: "Chalmers", normalized: "chalmers" });
  });

  it("Patient-example name leaves out use", () => {
    const names = valuesOf("Patient-example.json", "name").map((value) => (value.type === "string" ? value.normalized : ""));

    expect(names).toContain("chalmers");
    expect(names).not.toContain("official");
    expect(names).not.toContain("usual");
  });

  it("Observation-example code is LOINC 29463-7", () => {
    expect(valuesOf("Observation-example.json", "code")).toContainEqual({ type: "token", system: "http://loinc.org", code: "29463-7", text: "body weight" });
  });

  it("Observation-example value-quantity converts lb to g", () => {
    const [quantity] = valuesOf("Observation-example.json", "value-quantity");

    const canonical = quantity?.type === "quantity" ? quantity.canonical : undefined;

    expect(quantity).toMatchObject({ type: "quantity", value: 185, system: "http://unitsofmeasure.org", code: "[lb_av]" });
    expect(canonical?.code).toBe("g");
    expect(canonical?.value).toBeCloseTo(185 * 453.59237, 6);
  });

  it("Observation-blood-pressure components pair code and value", () => {
    const values = valuesOf("Observation-blood-pressure.json", "component-code-value-quantity");

    const pairs = values.map((value) => (value.type === "composite" ? value.components.map((component) => component[0]) : []));

    expect(pairs).toHaveLength(2);
    expect(pairs[0]).toMatchObject([{ system: "http://loinc.org", code: "8480-6" }, { value: 107, code: "mm[Hg]" }]);
    expect(pairs[1]).toMatchObject([{ system: "http://loinc.org", code: "8462-4" }, { value: 60, code: "mm[Hg]" }]);
  });

  it("MolecularSequence composite reads %resource", () => {
    const values = valuesOf("MolecularSequence-breastcancer.json", "referenceseqid-variant-coordinate");

    expect(values).toHaveLength(1);
    expect(values[0]).toMatchObject({
      components: [[{ code: "NM_000059.3" }], [{ type: "number", value: 32316186 }], [{ type: "number", value: 32316187 }]],
    });
  });
});

describe.runIf(syntheaPresent)("search values of a Synthea Bundle", () => {
  it("every entry extracts without error", () => {
    const bundle = JSON.parse(readFileSync(syntheaFile, "utf8")) as Bundle;
    const resources = (bundle.entry ?? []).flatMap((entry) => (entry.resource === undefined ? [] : [entry.resource]));

    const extracted = resources.map((resource) => extractSearchValues(resource));

    expect(resources).toHaveLength(3177);
    expect(extracted.every((values) => values.size > 0)).toBe(true);
  });
});
