import type { SearchQuery } from "@flint/core";
import { describe, expect, it } from "vitest";
import { subsetJson } from "./subset.ts";

const SUBSETTED = { system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", code: "SUBSETTED" };

function query(extra: Partial<SearchQuery>): SearchQuery {
  return { resourceTypes: ["Observation"], clauses: [], sort: [], include: [], revinclude: [], count: 20, total: "none", ...extra };
}

const observation =
  '{"resourceType":"Observation","id":"o1","meta":{"versionId":"2","tag":[{"code":"t"}]},' +
  '"text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">x</div>"},' +
  '"status":"final","category":[{"text":"vital-signs"}],"code":{"text":"weight"},' +
  '"valueQuantity":{"value":105.00,"unit":"kg"},"note":[{"text":"after lunch"}],' +
  '"referenceRange":[{"low":{"value":50.0}}],' +
  '"component":[{"code":{"text":"a"},"valueQuantity":{"value":1.50},"interpretation":[{"text":"N"}]}]}';

describe("subsetJson with _summary=true", () => {
  it("keeps summary elements as written", () => {
    const output = subsetJson(observation, "Observation", query({ summary: "true" }));
    expect(output).toBe(
      '{"resourceType":"Observation","id":"o1","status":"final","code":{"text":"weight"},' +
        '"valueQuantity":{"value":105.00,"unit":"kg"},"component":[{"code":{"text":"a"},"valueQuantity":{"value":1.50}}],' +
        `"meta":{"versionId":"2","tag":[{"code":"t"},${JSON.stringify(SUBSETTED)}]}}`,
    );
  });

  it("tags the result SUBSETTED", () => {
    const output = JSON.parse(subsetJson(observation, "Observation", query({ summary: "true" })));
    expect(output.meta.tag).toContainEqual(SUBSETTED);
  });

  it("leaves _summary=false results unchanged", () => {
    expect(subsetJson(observation, "Observation", query({ summary: "false" }))).toBe(observation);
  });

  it("lets _elements take precedence", () => {
    const output = JSON.parse(subsetJson(observation, "Observation", query({ summary: "true", elements: ["note"] })));
    expect(Object.keys(output).sort()).toEqual(["code", "id", "meta", "note", "resourceType", "status"]);
  });
});
