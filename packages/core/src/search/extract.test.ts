import type { Resource } from "fhir/r4";
import { describe, expect, it } from "vitest";
import { decimalRange, extractSearchValues } from "./extract.ts";
import { OPEN_END, OPEN_START, type IndexValue } from "./model.ts";

const utc = (text: string) => Date.parse(text);
const UCUM = "http://unitsofmeasure.org";

/** Extracts one parameter's values from a hand-written resource. */
function valuesOf(resource: object, code: string): IndexValue[] {
  return extractSearchValues(resource as Resource).get(code) ?? [];
}

function canonicalOf(value: IndexValue | undefined) {
  return value?.type === "quantity" ? value.canonical : undefined;
}

function exactStrings(values: readonly IndexValue[]): string[] {
  return values.flatMap((value) => (value.type === "string" ? [value.exact] : []));
}

describe("string values", () => {
  it("HumanName use is not a name part", () => {
    const patient = { resourceType: "Patient", name: [{ use: "maiden", family: "Smith", given: ["Ann", "Marie"], prefix: ["Dr"], suffix: ["PhD"], text: "Dr Ann Marie Smith PhD" }] };

    const names = exactStrings(valuesOf(patient, "name"));

    expect(names).toEqual(["Smith", "Ann", "Marie", "Dr", "PhD", "Dr Ann Marie Smith PhD"]);
    expect(names).not.toContain("maiden");
  });

  it("normalized form drops accents and case", () => {
    const patient = { resourceType: "Patient", name: [{ family: "Müller-Lüdenscheidt", given: ["José", "Zoë"] }] };

    expect(valuesOf(patient, "family")).toEqual([{ type: "string", exact: "Müller-Lüdenscheidt", normalized: "muller-ludenscheidt" }]);
    expect(valuesOf(patient, "given")).toEqual([
      { type: "string", exact: "José", normalized: "jose" },
      { type: "string", exact: "Zoë", normalized: "zoe" },
    ]);
  });

  it("Address gives its text parts, not use or type", () => {
    const patient = {
      resourceType: "Patient",
      address: [{ use: "home", type: "postal", line: ["1 Main St", "Flat 2"], city: "Springfield", district: "Greene", state: "MO", postalCode: "65801", country: "US", text: "1 Main St" }],
    };

    expect(exactStrings(valuesOf(patient, "address"))).toEqual(["1 Main St", "Flat 2", "Springfield", "Greene", "MO", "65801", "US"]);
    expect(exactStrings(valuesOf(patient, "address-city"))).toEqual(["Springfield"]);
  });

  it("markdown is a string", () => {
    const plan = { resourceType: "PlanDefinition", status: "draft", description: "Screening *plan*" };

    expect(exactStrings(valuesOf(plan, "description"))).toEqual(["Screening *plan*"]);
  });
});

describe("token values", () => {
  it("Identifier without system has system empty", () => {
    const patient = { resourceType: "Patient", identifier: [{ value: "12345" }] };

    expect(valuesOf(patient, "identifier")).toEqual([{ type: "token", system: "", code: "12345" }]);
  });

  it("Identifier type gives identifierType and text", () => {
    const patient = {
      resourceType: "Patient",
      identifier: [{ system: "urn:mrn", value: "7", type: { coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "MR" }], text: "Medical Récord" } }],
    };

    expect(valuesOf(patient, "identifier")).toEqual([
      {
        type: "token",
        system: "urn:mrn",
        code: "7",
        text: "medical record",
        identifierType: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "MR" }],
      },
    ]);
  });

  it("CodeableConcept gives codings and its text", () => {
    const condition = {
      resourceType: "Condition",
      subject: { reference: "Patient/1" },
      code: { coding: [{ system: "http://snomed.info/sct", code: "44054006", display: "Diabetes" }, { code: "E11" }], text: "Type 2 Diabètes" },
    };

    expect(valuesOf(condition, "code")).toEqual([
      { type: "token", system: "http://snomed.info/sct", code: "44054006", text: "diabetes" },
      { type: "token", system: "", code: "E11" },
      { type: "token", text: "type 2 diabetes" },
    ]);
  });

  it("ContactPoint value is the code", () => {
    const patient = {
      resourceType: "Patient",
      telecom: [
        { system: "phone", value: "+1 555 0100" },
        { system: "email", value: "ann@example.org" },
      ],
    };

    expect(valuesOf(patient, "telecom")).toEqual([
      { type: "token", code: "+1 555 0100" },
      { type: "token", code: "ann@example.org" },
    ]);
    expect(valuesOf(patient, "phone")).toEqual([{ type: "token", code: "+1 555 0100" }]);
    expect(valuesOf(patient, "email")).toEqual([{ type: "token", code: "ann@example.org" }]);
  });

  it("code and boolean primitives have no system", () => {
    const patient = { resourceType: "Patient", gender: "female", active: true };

    expect(valuesOf(patient, "gender")).toEqual([{ type: "token", code: "female" }]);
    expect(valuesOf(patient, "active")).toEqual([{ type: "token", code: "true" }]);
  });

  it("deceased is true for deceasedDateTime", () => {
    expect(valuesOf({ resourceType: "Patient", deceasedDateTime: "2020-02-01" }, "deceased")).toEqual([{ type: "token", code: "true" }]);
    expect(valuesOf({ resourceType: "Patient" }, "deceased")).toEqual([{ type: "token", code: "false" }]);
  });

  it("_id is the resource id", () => {
    expect(valuesOf({ resourceType: "Patient", id: "abc" }, "_id")).toEqual([{ type: "token", code: "abc" }]);
    expect(valuesOf({ resourceType: "Patient" }, "_id")).toEqual([]);
  });

  it("meta tags are Codings", () => {
    const patient = { resourceType: "Patient", meta: { tag: [{ system: "urn:tags", code: "test", display: "Test" }] } };

    expect(valuesOf(patient, "_tag")).toEqual([{ type: "token", system: "urn:tags", code: "test", text: "test" }]);
  });
});

describe("date values", () => {
  it("date covers its whole day", () => {
    const patient = { resourceType: "Patient", birthDate: "1974-12-25" };

    expect(valuesOf(patient, "birthdate")).toEqual([{ type: "date", start: utc("1974-12-25T00:00:00Z"), end: utc("1974-12-26T00:00:00Z") }]);
  });

  it("Period without start is open at the start", () => {
    const encounter = { resourceType: "Encounter", status: "finished", class: { code: "AMB" }, period: { end: "2020-01-01" } };

    expect(valuesOf(encounter, "date")).toEqual([{ type: "date", start: OPEN_START, end: utc("2020-01-02T00:00:00Z") }]);
  });

  it("Period without end is open at the end", () => {
    const encounter = { resourceType: "Encounter", status: "in-progress", class: { code: "AMB" }, period: { start: "2020-01-01T10:00:00+02:00" } };

    expect(valuesOf(encounter, "date")).toEqual([{ type: "date", start: utc("2020-01-01T08:00:00Z"), end: OPEN_END }]);
  });

  it("Timing with only boundsPeriod.end is open at the start", () => {
    const request = {
      resourceType: "ServiceRequest",
      status: "active",
      intent: "order",
      subject: { reference: "Patient/1" },
      occurrenceTiming: { repeat: { boundsPeriod: { end: "2030-06-30" }, frequency: 1, period: 1, periodUnit: "d" } },
    };

    expect(valuesOf(request, "occurrence")).toEqual([{ type: "date", start: OPEN_START, end: utc("2030-07-01T00:00:00Z") }]);
  });

  it("Timing covers its events and bounds", () => {
    const request = {
      resourceType: "ServiceRequest",
      status: "active",
      intent: "order",
      subject: { reference: "Patient/1" },
      occurrenceTiming: { event: ["2024-03-05T10:00:00Z", "2024-01-02"], repeat: { boundsPeriod: { start: "2024-02-01", end: "2024-02-10" } } },
    };

    expect(valuesOf(request, "occurrence")).toEqual([{ type: "date", start: utc("2024-01-02T00:00:00Z"), end: utc("2024-03-05T10:00:01Z") }]);
  });

  it("Timing without events or boundsPeriod has no date", () => {
    const request = { resourceType: "ServiceRequest", status: "active", intent: "order", subject: { reference: "Patient/1" }, occurrenceTiming: { repeat: { boundsDuration: { value: 5, code: "d" } } } };

    expect(valuesOf(request, "occurrence")).toEqual([]);
  });

  it("dateTime without time zone is read as UTC", () => {
    const observation = { resourceType: "Observation", status: "final", code: { text: "x" }, effectiveDateTime: "2024-05-01T10:00:00" };

    expect(valuesOf(observation, "date")).toEqual([{ type: "date", start: utc("2024-05-01T10:00:00Z"), end: utc("2024-05-01T10:00:01Z") }]);
  });

  it("Age and string onsets are not dates", () => {
    const withAge = { resourceType: "Condition", subject: { reference: "Patient/1" }, onsetAge: { value: 40, code: "a", system: UCUM } };
    const withString = { resourceType: "Condition", subject: { reference: "Patient/1" }, onsetString: "childhood" };

    expect(valuesOf(withAge, "onset-date")).toEqual([]);
    expect(valuesOf(withString, "onset-date")).toEqual([]);
    expect(exactStrings(valuesOf(withString, "onset-info"))).toEqual(["childhood"]);
  });

  it("_lastUpdated is meta.lastUpdated", () => {
    const patient = { resourceType: "Patient", meta: { lastUpdated: "2024-05-01T10:00:00.123Z" } };

    expect(valuesOf(patient, "_lastUpdated")).toEqual([{ type: "date", start: utc("2024-05-01T10:00:00.123Z"), end: utc("2024-05-01T10:00:00.124Z") }]);
  });
});

describe("number values", () => {
  it("integer covers half a unit either side", () => {
    const assessment = { resourceType: "RiskAssessment", status: "final", subject: { reference: "Patient/1" }, prediction: [{ probabilityDecimal: 100 }] };

    expect(valuesOf(assessment, "probability")).toEqual([{ type: "number", value: 100, low: 99.5, high: 100.5 }]);
  });

  it("decimal covers half its last digit", () => {
    const assessment = { resourceType: "RiskAssessment", status: "final", subject: { reference: "Patient/1" }, prediction: [{ probabilityDecimal: 1.5 }, { probabilityDecimal: 0.8 }] };

    expect(valuesOf(assessment, "probability")).toEqual([
      { type: "number", value: 1.5, low: 1.45, high: 1.55 },
      { type: "number", value: 0.8, low: 0.75, high: 0.85 },
    ]);
  });

  it("Range probability is not a number", () => {
    const assessment = { resourceType: "RiskAssessment", status: "final", subject: { reference: "Patient/1" }, prediction: [{ probabilityRange: { low: { value: 1 } } }] };

    expect(valuesOf(assessment, "probability")).toEqual([]);
  });

  it.each([
    ["100", 100, 99.5, 100.5],
    ["1.50", 1.5, 1.495, 1.505],
    ["-1.5", -1.5, -1.55, -1.45],
    ["0", 0, -0.5, 0.5],
    ["1e2", 100, 50, 150],
    ["1.5e-7", 1.5e-7, 1.45e-7, 1.55e-7],
  ])("decimalRange of %s", (text, value, low, high) => {
    expect(decimalRange(text)).toEqual({ value, low, high });
  });

  it("decimalRange rejects other text", () => {
    expect(decimalRange("1.2.3")).toBeUndefined();
    expect(decimalRange("abc")).toBeUndefined();
  });
});

describe("quantity values", () => {
  function observationWith(valueQuantity: object): object {
    return { resourceType: "Observation", status: "final", code: { text: "dose" }, valueQuantity };
  }

  it("mg converts to canonical g", () => {
    const [quantity] = valuesOf(observationWith({ value: 1500, unit: "mg", system: UCUM, code: "mg" }), "value-quantity");

    expect(quantity).toEqual({
      type: "quantity",
      value: 1500,
      low: 1499.5,
      high: 1500.5,
      system: UCUM,
      code: "mg",
      unit: "mg",
      canonical: { value: 1.5, low: 1.4995, high: 1.5005, code: "g" },
    });
  });

  it("Cel converts to kelvin with its offset", () => {
    const [quantity] = valuesOf(observationWith({ value: 37, system: UCUM, code: "Cel" }), "value-quantity");

    expect(canonicalOf(quantity)).toEqual({ value: 310.15, low: 309.65, high: 310.65, code: "K" });
  });

  it("mm[Hg] canonical code lists its base units", () => {
    const [quantity] = valuesOf(observationWith({ value: 120, system: UCUM, code: "mm[Hg]" }), "value-quantity");

    expect(canonicalOf(quantity)).toEqual({ value: 15998640, low: 15931979, high: 16065301, code: "g.m-1.s-2" });
  });

  it("non-UCUM and arbitrary units have no canonical form", () => {
    const [local] = valuesOf(observationWith({ value: 2, system: "http://example.org/units", code: "mg" }), "value-quantity");
    const [arbitrary] = valuesOf(observationWith({ value: 2, system: UCUM, code: "[iU]" }), "value-quantity");
    const [invalid] = valuesOf(observationWith({ value: 2, system: UCUM, code: "not a unit" }), "value-quantity");

    expect(local).toEqual({ type: "quantity", value: 2, low: 1.5, high: 2.5, system: "http://example.org/units", code: "mg" });
    expect(arbitrary).toEqual({ type: "quantity", value: 2, low: 1.5, high: 2.5, system: UCUM, code: "[iU]" });
    expect(invalid).toEqual({ type: "quantity", value: 2, low: 1.5, high: 2.5, system: UCUM, code: "not a unit" });
  });

  it("quantity with a comparator is indexed by its value", () => {
    const observation = {
      resourceType: "Observation",
      status: "final",
      code: { text: "panel" },
      component: [
        { code: { text: "a" }, valueQuantity: { value: 5, comparator: "<", system: UCUM, code: "mg" } },
        { code: { text: "b" }, valueQuantity: { value: 5, system: UCUM, code: "mg" } },
      ],
    };

    const values = valuesOf(observation, "component-value-quantity");

    expect(values).toHaveLength(1);
    expect(values[0]).toMatchObject({ type: "quantity", value: 5, code: "mg" });
  });

  it("Money is coded by its currency", () => {
    const item = { resourceType: "ChargeItem", status: "billable", code: { text: "x" }, subject: { reference: "Patient/1" }, priceOverride: { value: 40, currency: "EUR" } };

    expect(valuesOf(item, "price-override")).toEqual([{ type: "quantity", value: 40, low: 39.5, high: 40.5, system: "urn:iso:std:iso:4217", code: "EUR" }]);
  });

  it("Age is a quantity and Range is skipped", () => {
    const withAge = { resourceType: "Condition", subject: { reference: "Patient/1" }, onsetAge: { value: 40, system: UCUM, code: "a" } };
    const withRange = { resourceType: "Condition", subject: { reference: "Patient/1" }, onsetRange: { low: { value: 40, system: UCUM, code: "a" } } };

    expect(valuesOf(withAge, "onset-age")).toMatchObject([{ type: "quantity", value: 40, code: "a", canonical: { code: "s" } }]);
    expect(valuesOf(withRange, "onset-age")).toEqual([]);
  });
});

describe("reference values", () => {
  function observationWith(fields: object): object {
    return { resourceType: "Observation", status: "final", code: { text: "x" }, ...fields };
  }

  it("relative reference gives Type/id", () => {
    expect(valuesOf(observationWith({ subject: { reference: "Patient/123" } }), "subject")).toEqual([{ type: "reference", reference: "Patient/123", resourceType: "Patient" }]);
  });

  it("versioned reference drops the version", () => {
    expect(valuesOf(observationWith({ subject: { reference: "Patient/123/_history/4" } }), "subject")).toEqual([{ type: "reference", reference: "Patient/123", resourceType: "Patient" }]);
  });

  it("absolute reference keeps only the URL", () => {
    const url = "https://other.example.org/fhir/Patient/123";

    expect(valuesOf(observationWith({ subject: { reference: url } }), "subject")).toEqual([{ type: "reference", url }]);
  });

  it("contained reference is skipped", () => {
    expect(valuesOf(observationWith({ subject: { reference: "#p1" } }), "subject")).toEqual([]);
  });

  it("logical reference gives its identifier and type", () => {
    const subject = { type: "Patient", identifier: { system: "urn:mrn", value: "7" } };

    expect(valuesOf(observationWith({ subject }), "subject")).toEqual([{ type: "reference", resourceType: "Patient", identifier: { system: "urn:mrn", value: "7" } }]);
  });

  it("patient parameter keeps only Patient targets", () => {
    const ofPatient = observationWith({ subject: { reference: "Patient/1" } });
    const ofGroup = observationWith({ subject: { reference: "Group/1" } });
    const ofAbsolutePatient = observationWith({ subject: { reference: "https://other.example.org/fhir/Patient/9" } });

    expect(valuesOf(ofPatient, "patient")).toEqual([{ type: "reference", reference: "Patient/1", resourceType: "Patient" }]);
    expect(valuesOf(ofGroup, "patient")).toEqual([]);
    expect(valuesOf(ofAbsolutePatient, "patient")).toEqual([{ type: "reference", url: "https://other.example.org/fhir/Patient/9" }]);
  });

  it("canonical splits its version", () => {
    const response = { resourceType: "QuestionnaireResponse", status: "completed", questionnaire: "http://example.org/Questionnaire/phq-9|2.1" };

    expect(valuesOf(response, "questionnaire")).toEqual([{ type: "reference", url: "http://example.org/Questionnaire/phq-9", version: "2.1" }]);
  });

  it("relative canonical also gives Type/id", () => {
    const definition = { resourceType: "PlanDefinition", status: "draft", library: ["Library/screening"] };

    expect(valuesOf(definition, "depends-on")).toEqual([{ type: "reference", url: "Library/screening", reference: "Library/screening", resourceType: "Library" }]);
  });

  it("Bundle composition is the first entry", () => {
    const bundle = { resourceType: "Bundle", type: "document", entry: [{ resource: { resourceType: "Composition", id: "c1" } }] };

    expect(valuesOf(bundle, "composition")).toEqual([{ type: "reference", reference: "Composition/c1", resourceType: "Composition" }]);
  });
});

describe("uri values", () => {
  it("uri and canonical are kept as written", () => {
    const valueSet = { resourceType: "ValueSet", status: "draft", url: "http://example.org/ValueSet/x", meta: { profile: ["http://example.org/StructureDefinition/p|1.0"] } };

    expect(valuesOf(valueSet, "url")).toEqual([{ type: "uri", value: "http://example.org/ValueSet/x" }]);
    expect(valuesOf(valueSet, "_profile")).toEqual([{ type: "uri", value: "http://example.org/StructureDefinition/p|1.0" }]);
  });
});

describe("composite values", () => {
  const loinc = "http://loinc.org";
  const bloodPressure = {
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: loinc, code: "85354-9" }] },
    component: [
      { code: { coding: [{ system: loinc, code: "8480-6" }] }, valueQuantity: { value: 120, system: UCUM, code: "mm[Hg]" } },
      { code: { coding: [{ system: loinc, code: "8462-4" }] }, valueQuantity: { value: 80, system: UCUM, code: "mm[Hg]" } },
      { code: { coding: [{ system: loinc, code: "9999-9" }] }, valueString: "n/a" },
    ],
  };

  it("code-value-quantity pairs code and value", () => {
    const observation = { resourceType: "Observation", status: "final", code: { coding: [{ system: loinc, code: "29463-7" }] }, valueQuantity: { value: 185, system: UCUM, code: "[lb_av]" } };

    const values = valuesOf(observation, "code-value-quantity");

    expect(values).toHaveLength(1);
    expect(values[0]).toMatchObject({
      type: "composite",
      components: [[{ type: "token", system: loinc, code: "29463-7" }], [{ type: "quantity", value: 185, code: "[lb_av]", canonical: { code: "g" } }]],
    });
  });

  it("component-code-value-quantity gives one value per component", () => {
    const values = valuesOf(bloodPressure, "component-code-value-quantity");

    expect(values).toEqual([
      {
        type: "composite",
        components: [
          [{ type: "token", system: loinc, code: "8480-6" }],
          [{ type: "quantity", value: 120, low: 119.5, high: 120.5, system: UCUM, code: "mm[Hg]", canonical: { value: 15998640, low: 15931979, high: 16065301, code: "g.m-1.s-2" } }],
        ],
      },
      {
        type: "composite",
        components: [
          [{ type: "token", system: loinc, code: "8462-4" }],
          [{ type: "quantity", value: 80, low: 79.5, high: 80.5, system: UCUM, code: "mm[Hg]", canonical: { value: 10665760, low: 10599099, high: 10732421, code: "g.m-1.s-2" } }],
        ],
      },
    ]);
  });

  it("observation without value has no code-value-quantity", () => {
    expect(valuesOf(bloodPressure, "code-value-quantity")).toEqual([]);
  });

  it("code-value-date reads dateTime values", () => {
    const observation = { resourceType: "Observation", status: "final", code: { coding: [{ system: loinc, code: "1" }] }, valueDateTime: "2024-01-02" };

    const [value] = valuesOf(observation, "code-value-date");

    expect(value).toEqual({
      type: "composite",
      components: [[{ type: "token", system: loinc, code: "1" }], [{ type: "date", start: utc("2024-01-02T00:00:00Z"), end: utc("2024-01-03T00:00:00Z") }]],
    });
  });

  it("DocumentReference relationship pairs target and code", () => {
    const document = { resourceType: "DocumentReference", status: "current", content: [{ attachment: { url: "http://x" } }], relatesTo: [{ code: "replaces", target: { reference: "DocumentReference/old" } }] };

    expect(valuesOf(document, "relationship")).toEqual([
      {
        type: "composite",
        components: [[{ type: "reference", reference: "DocumentReference/old", resourceType: "DocumentReference" }], [{ type: "token", code: "replaces" }]],
      },
    ]);
  });
});

describe("extractSearchValues", () => {
  it("leaves out special parameters and parameters without values", () => {
    const location = { resourceType: "Location", name: "Ward 1", position: { longitude: 1, latitude: 2 } };

    const values = extractSearchValues(location as Resource);

    expect(values.has("near")).toBe(false);
    expect(values.has("address")).toBe(false);
    expect([...values.keys()]).toEqual(["name"]);
  });
});
