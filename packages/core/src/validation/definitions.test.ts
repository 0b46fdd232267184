import { describe, expect, it } from "vitest";
import { CONSTRAINED_TYPES, DEFINITIONS, PRIMITIVE_TYPES } from "../generated/definitions.ts";
import { isResourceType, RESOURCE_TYPES } from "./index.ts";
import { choiceSuffix, getTypeSchema } from "./schema.ts";

describe("generated definitions", () => {
  it("list the 146 concrete R4 resource types", () => {
    expect(RESOURCE_TYPES).toHaveLength(146);
    expect(RESOURCE_TYPES).toContain("Patient");
    expect(RESOURCE_TYPES).toContain("Parameters");
    expect(RESOURCE_TYPES).toContain("Binary");
  });

  it("exclude abstract and non-R4 types", () => {
    for (const name of ["Resource", "DomainResource", "MetadataResource", "SubscriptionStatus", "Project", "HumanName"]) {
      expect(isResourceType(name), name).toBe(false);
    }
  });

  it("list the 20 primitive types", () => {
    expect(PRIMITIVE_TYPES).toHaveLength(20);
    expect(PRIMITIVE_TYPES).toContain("xhtml");
  });

  it("flatten inherited resource elements", () => {
    const patient = DEFINITIONS.Patient;
    expect(patient?.id).toEqual({ t: "id" });
    expect(patient?.meta).toEqual({ t: "Meta" });
    expect(patient?.contained).toEqual({ t: "Resource", max: "*" });
    expect(DEFINITIONS.Binary?.text).toBeUndefined();
  });

  it("type Element.id as string", () => {
    expect(DEFINITIONS.HumanName?.id).toEqual({ t: "string" });
    expect(DEFINITIONS["Patient.contact"]?.id).toEqual({ t: "string" });
  });

  it("link backbone elements to definitions", () => {
    expect(DEFINITIONS.Questionnaire?.item).toEqual({ t: "Questionnaire.item", max: "*" });
    expect(DEFINITIONS["Questionnaire.item"]?.item).toEqual({ t: "Questionnaire.item", max: "*" });
    expect(DEFINITIONS["Questionnaire.item"]?.linkId).toEqual({ t: "string", min: 1 });
  });

  it("resolve Quantity profiles", () => {
    expect(DEFINITIONS.Age?.value).toEqual({ t: "decimal" });
    expect(DEFINITIONS.Duration?.code).toEqual({ t: "code" });
    expect(DEFINITIONS.SimpleQuantity?.comparator).toBeUndefined();
    expect(DEFINITIONS.MoneyQuantity?.comparator).toEqual({ t: "code" });
    expect(CONSTRAINED_TYPES).toEqual({ MoneyQuantity: "Quantity", SimpleQuantity: "Quantity" });
    expect(choiceSuffix("SimpleQuantity")).toBe("Quantity");
  });

  it("type Extension url and value", () => {
    expect(DEFINITIONS.Extension?.url).toEqual({ t: "uri", min: 1 });
    const extensionValueTypes = DEFINITIONS.Extension?.["value[x]"]?.t;
    expect(extensionValueTypes).toHaveLength(50);
    expect(extensionValueTypes).toContain("Age");
  });
});

describe("getTypeSchema", () => {
  it("expands choice elements into JSON property names", () => {
    const observation = getTypeSchema("Observation");
    expect(observation?.properties.get("valueQuantity")?.type).toBe("Quantity");
    expect(observation?.properties.get("_valueString")?.primitiveElement).toBe(true);
    expect(observation?.properties.has("value")).toBe(false);
  });

  it("returns undefined for unknown and inherited keys", () => {
    expect(getTypeSchema("Nope")).toBeUndefined();
    expect(getTypeSchema("toString")).toBeUndefined();
    expect(getTypeSchema("__proto__")).toBeUndefined();
  });
});
