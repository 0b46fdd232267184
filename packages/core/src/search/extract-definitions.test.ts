import type { Resource } from "fhir/r4";
import { describe, expect, it } from "vitest";
import { SEARCH_PARAMETERS } from "../generated/search-parameters.ts";
import { RESOURCE_TYPES } from "../validation/index.ts";
import { evaluateExpression, splitUnion } from "./extract/evaluate.ts";
import { rewriteForSearch } from "./extract/fhirpath-oracle.test-support.ts";

function definition(resourceType: string, code: string) {
  return SEARCH_PARAMETERS[resourceType]?.find((parameter) => parameter.code === code);
}

describe("generated SEARCH_PARAMETERS", () => {
  it("covers every resource type", () => {
    expect(Object.keys(SEARCH_PARAMETERS).sort()).toEqual([...RESOURCE_TYPES].sort());
  });

  it("gives every type the Resource parameters", () => {
    for (const resourceType of RESOURCE_TYPES) {
      expect(definition(resourceType, "_id")).toEqual({ code: "_id", type: "token", expression: `${resourceType}.id` });
      expect(definition(resourceType, "_lastUpdated")?.expression).toBe(`${resourceType}.meta.lastUpdated`);
    }
  });

  it("gives _text only to DomainResources", () => {
    expect(definition("Patient", "_text")).toEqual({ code: "_text", type: "special", expression: "" });
    expect(definition("Bundle", "_text")).toBeUndefined();
    expect(definition("Binary", "_text")).toBeUndefined();
  });

  it("keeps only the type's part of a shared expression", () => {
    expect(definition("Condition", "code")?.expression).toBe("Condition.code");
    expect(definition("AllergyIntolerance", "code")?.expression).toBe("AllergyIntolerance.code | AllergyIntolerance.reaction.substance");
    expect(definition("MedicationRequest", "code")?.expression).toBe("(MedicationRequest.medication as CodeableConcept)");
  });

  it("prefixes a part relative to the base", () => {
    expect(definition("InsurancePlan", "name")?.expression).toBe("InsurancePlan.name | InsurancePlan.alias");
  });

  it("resolves composite components", () => {
    expect(definition("Observation", "component-code-value-quantity")).toEqual({
      code: "component-code-value-quantity",
      type: "composite",
      expression: "Observation.component",
      components: [
        { code: "component-code", type: "token", expression: "code" },
        { code: "component-value-quantity", type: "quantity", expression: "value.as(Quantity)" },
      ],
    });
  });

  it("corrects the R4 composite errors", () => {
    expect(definition("Observation", "code-value-date")?.components?.[1]?.expression).toBe("value.as(dateTime) | value.as(Period)");
    expect(definition("DocumentReference", "relationship")?.components).toEqual([
      { code: "relatesto", type: "reference", expression: "target" },
      { code: "relation", type: "token", expression: "code" },
    ]);
  });

  it("leaves out parameters that are not R4", () => {
    expect(definition("DeviceDefinition", "classification")).toBeUndefined();
    expect(definition("DetectedIssue", "status")).toBeUndefined();
    expect(definition("ServiceRequest", "order-detail")).toBeUndefined();
  });

  it("restores the R4 targets", () => {
    expect(definition("Encounter", "subject")?.target?.slice().sort()).toEqual(["Group", "Patient"]);
    expect(definition("MeasureReport", "subject")?.target).not.toContain("Organization");
  });

  it("narrows shared targets to the type the expression resolves", () => {
    expect(definition("Observation", "patient")?.target).toEqual(["Patient"]);
    expect(definition("Observation", "subject")?.target).toContain("Group");
  });

  it("every expression evaluates on an empty resource", () => {
    // Composite components are relative to a repetition, not to the resource, so
    // extract/evaluate.test.ts parses and type-checks them instead.
    for (const [resourceType, definitions] of Object.entries(SEARCH_PARAMETERS)) {
      const resource = { resourceType } as Resource;
      for (const { expression, type } of definitions) {
        if (type === "special") continue;
        expect(() => evaluateExpression(expression, resource, resource), `${resourceType}: ${expression}`).not.toThrow();
      }
    }
  });
});

describe("expression rewriting", () => {
  it("splits unions outside brackets and strings", () => {
    expect(splitUnion("A.b | (A.c as X) | A.d.where(e = 'f|g')")).toEqual(["A.b", "(A.c as X)", "A.d.where(e = 'f|g')"]);
  });

  it("turns as into ofType", () => {
    expect(rewriteForSearch("(Observation.component.value as Quantity)")).toBe("(Observation.component.value.ofType(Quantity))");
    expect(rewriteForSearch("Condition.onset.as(Age)")).toBe("Condition.onset.ofType(Age)");
  });

  it("turns resolve() is into refersTo", () => {
    expect(rewriteForSearch("Observation.subject.where(resolve() is Patient)")).toBe("Observation.subject.where(refersTo('Patient'))");
  });

  it("rejects forms it does not rewrite", () => {
    expect(() => rewriteForSearch("Observation.value as Quantity")).toThrow(/does not rewrite/);
  });
});
