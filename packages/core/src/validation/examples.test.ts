/**
 * Validates every example of the official R4 examples package (hl7.fhir.r4.examples 4.0.1).
 * The examples are read from `$FLINT_FIXTURES/fhir-r4-spec-examples/examples`, a path relative to
 * the repository root, and the test is skipped when that folder does not exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { validateResource } from "./index.ts";

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
const fixturesRoot = path.resolve(repositoryRoot, process.env.FLINT_FIXTURES ?? "../shared/fixtures");
const examplesDir = path.join(fixturesRoot, "fhir-r4-spec-examples", "examples");
const examplesPresent = existsSync(examplesDir);

if (!examplesPresent) {
  console.warn(`Skipping the R4 examples test: ${examplesDir} does not exist. Set FLINT_FIXTURES to the fixtures folder.`);
}

interface Defect {
  file: string;
  reason: string;
  /** Expected issues as `code expression`, in the order reported. */
  issues: string[];
}

/** Nested display items of this Questionnaire, which has one item per element of Account. */
const QS1_ITEMS_WITHOUT_LINK_ID = [
  "item[0].item[0]",
  "item[0].item[1].item[0]",
  "item[0].item[2].item[0]",
  "item[0].item[3].item[0]",
  "item[0].item[4].item[0]",
  "item[0].item[5].item[0]",
  "item[0].item[6].item[0]",
  "item[0].item[7].item[0]",
  "item[0].item[8].item[0]",
  "item[0].item[9].item[0]",
  "item[0].item[10].item[0]",
  "item[0].item[11].item[0]",
  "item[0].item[12].item[0]",
  "item[0].item[13].item[0]",
  "item[0].item[14].item[0]",
  "item[0].item[15].item[0]",
  "item[0].item[15].item[1]",
  "item[0].item[15].item[2].item[0]",
  "item[0].item[15].item[3].item[0]",
  "item[0].item[15].item[4].item[0]",
  "item[0].item[15].item[5].item[0]",
  "item[0].item[15].item[6].item[0]",
  "item[0].item[16].item[0]",
  "item[0].item[17].item[0]",
  "item[0].item[18].item[0]",
  "item[0].item[18].item[1].item[0]",
  "item[0].item[18].item[2].item[0]",
  "item[0].item[18].item[3].item[0]",
  "item[0].item[18].item[4].item[0]",
  "item[0].item[18].item[5].item[0]",
  "item[0].item[18].item[6].item[0]",
  "item[0].item[19].item[0]",
];

/** Examples that violate R4, with the exact issues they must produce. Every other example must be valid. */
const DEFECTS: Defect[] = [
  {
    file: "Questionnaire-qs1.json",
    reason: "32 display items have no linkId, which Questionnaire.item requires (1..1)",
    issues: QS1_ITEMS_WITHOUT_LINK_ID.map((item) => `required Questionnaire.${item}.linkId`),
  },
];

const defectsByFile = new Map(DEFECTS.map((defect) => [defect.file, defect]));
const files = examplesPresent ? readdirSync(examplesDir).filter((file) => file.endsWith(".json")).sort() : [];

describe.skipIf(!examplesPresent)("R4 spec examples", () => {
  it("finds the 745 examples", () => {
    expect(files).toHaveLength(745);
  });

  it("lists only defects that exist", () => {
    for (const defect of DEFECTS) expect(files).toContain(defect.file);
  });

  it.each(files)("%s", (file) => {
    const resource: unknown = JSON.parse(readFileSync(path.join(examplesDir, file), "utf8"));
    const issues = validateResource(resource).map((issue) => `${issue.code} ${issue.expression}`);
    expect(issues).toEqual(defectsByFile.get(file)?.issues ?? []);
  });
});
