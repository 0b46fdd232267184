import { describe, expect, it } from "vitest";
import type { Issue } from "../outcome.ts";
import { MAX_DEPTH, MAX_ISSUES, validateResource } from "./index.ts";

function expressions(issues: readonly Issue[]): (string | undefined)[] {
  return issues.map((issue) => issue.expression);
}

function onlyIssue(resource: unknown): Issue {
  const issues = validateResource(resource);
  expect(issues, JSON.stringify(issues, null, 2)).toHaveLength(1);
  return issues[0] as Issue;
}

describe("resourceType", () => {
  it("accepts a minimal resource", () => {
    expect(validateResource({ resourceType: "Patient" })).toEqual([]);
  });

  it("rejects values that are not objects", () => {
    for (const value of [null, undefined, 42, "Patient", true, [], [{ resourceType: "Patient" }]]) {
      const issue = onlyIssue(value);
      expect(issue.code).toBe("structure");
      expect(issue.expression).toBe("Resource");
    }
  });

  it("reports a missing resourceType", () => {
    const issue = onlyIssue({ id: "a" });
    expect(issue.code).toBe("required");
    expect(issue.diagnostics).toMatch(/Missing resourceType/);
  });

  it("rejects unknown and abstract types", () => {
    for (const resourceType of ["Foo", "Resource", "DomainResource", "patient", "SubscriptionStatus", "MetadataResource"]) {
      const issue = onlyIssue({ resourceType });
      expect(issue.expression).toBe("Resource.resourceType");
      expect(issue.diagnostics).toMatch(/^Unknown resourceType/);
    }
  });

  it("rejects a non-string resourceType", () => {
    expect(onlyIssue({ resourceType: 7 }).code).toBe("structure");
  });
});

describe("unknown elements", () => {
  it("reports an unknown element at the root", () => {
    const issue = onlyIssue({ resourceType: "Patient", foo: 1 });
    expect(issue).toEqual({
      severity: "error",
      code: "structure",
      diagnostics: 'Unknown element "foo" in Patient',
      expression: "Patient.foo",
    });
  });

  it("reports unknown elements inside datatypes", () => {
    const issue = onlyIssue({ resourceType: "Patient", name: [{ family: "Chalmers" }, { given: ["Jim"], foo: "x" }] });
    expect(issue.diagnostics).toBe('Unknown element "foo" in Patient.name[1]');
    expect(issue.expression).toBe("Patient.name[1].foo");
  });

  it("reports unknown elements inside backbone elements", () => {
    const issue = onlyIssue({ resourceType: "Patient", contact: [{ gender: "male", nickname: "x" }] });
    expect(issue.expression).toBe("Patient.contact[0].nickname");
  });

  it("reports resourceType inside a datatype", () => {
    expect(onlyIssue({ resourceType: "Patient", name: [{ resourceType: "HumanName", text: "x" }] }).expression).toBe(
      "Patient.name[0].resourceType",
    );
  });

  it("reports an underscore property of a complex element", () => {
    expect(onlyIssue({ resourceType: "Patient", _name: [{ id: "x" }] }).expression).toBe("Patient._name");
  });

  it("cuts long property names", () => {
    const key = "k".repeat(500);
    const issue = onlyIssue({ resourceType: "Patient", [key]: 1 });
    expect(issue.expression).toBe(`Patient.${"k".repeat(64)}...`);
    expect(issue.diagnostics).not.toContain("k".repeat(65));
  });

  it("reports a __proto__ property from JSON.parse", () => {
    const resource: unknown = JSON.parse('{"resourceType":"Patient","__proto__":{"active":true}}');
    expect(onlyIssue(resource).expression).toBe("Patient.__proto__");
  });

  it("follows contentReference definitions", () => {
    const item = { linkId: "1", type: "group", item: [{ linkId: "1.1", type: "string", bogus: true }] };
    const issue = onlyIssue({ resourceType: "Questionnaire", status: "draft", item: [item] });
    expect(issue.expression).toBe("Questionnaire.item[0].item[0].bogus");
  });
});

describe("cardinality", () => {
  it("rejects a single object for a repeating element", () => {
    const issue = onlyIssue({ resourceType: "Patient", name: { family: "Chalmers" } });
    expect(issue.code).toBe("structure");
    expect(issue.expression).toBe("Patient.name");
    expect(issue.diagnostics).toMatch(/must be a JSON array/);
  });

  it("rejects an array for a single element", () => {
    const issue = onlyIssue({ resourceType: "Patient", birthDate: ["2020-01-01"] });
    expect(issue.expression).toBe("Patient.birthDate");
    expect(issue.diagnostics).toMatch(/must not be an array/);
  });

  it("rejects empty arrays", () => {
    expect(onlyIssue({ resourceType: "Patient", identifier: [] }).diagnostics).toMatch(/empty array/);
  });

  it("rejects null values", () => {
    expect(onlyIssue({ resourceType: "Patient", active: null }).expression).toBe("Patient.active");
    expect(onlyIssue({ resourceType: "Patient", name: [null] }).expression).toBe("Patient.name[0]");
    expect(onlyIssue({ resourceType: "Patient", name: [{ given: ["a", null] }] }).expression).toBe(
      "Patient.name[0].given[1]",
    );
  });

  it("rejects empty objects", () => {
    const issue = onlyIssue({ resourceType: "Patient", maritalStatus: {} });
    expect(issue.expression).toBe("Patient.maritalStatus");
    expect(issue.diagnostics).toMatch(/ele-1/);
  });

  it("reports missing required elements", () => {
    const issues = validateResource({ resourceType: "Observation" });
    expect(issues.map((issue) => [issue.code, issue.expression])).toEqual([
      ["required", "Observation.status"],
      ["required", "Observation.code"],
    ]);
  });

  it("reports a missing required choice element", () => {
    const resource = {
      resourceType: "MedicationAdministration",
      status: "completed",
      subject: { reference: "Patient/1" },
      effectiveDateTime: "2020-01-01",
    };
    const issue = onlyIssue(resource);
    expect(issue.expression).toBe("MedicationAdministration.medication");
    expect(issue.diagnostics).toBe("Missing required element medication[x] in MedicationAdministration");
    expect(issue.code).toBe("required");
  });

  it("accepts extension-only required primitive", () => {
    const extension = [{ url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason", valueCode: "unknown" }];
    expect(validateResource({ resourceType: "Observation", _status: { extension }, code: { text: "x" } })).toEqual([]);
  });

  it("reports a missing extension url", () => {
    expect(onlyIssue({ resourceType: "Patient", extension: [{ valueString: "x" }] }).expression).toBe(
      "Patient.extension[0].url",
    );
  });
});

describe("choice types", () => {
  const base = { resourceType: "Observation", status: "final", code: { text: "x" } };

  it("accepts each allowed type", () => {
    expect(validateResource({ ...base, valueQuantity: { value: 1, unit: "mg" } })).toEqual([]);
    expect(validateResource({ ...base, valueString: "x" })).toEqual([]);
    expect(validateResource({ ...base, valueDateTime: "2020-01-01" })).toEqual([]);
  });

  it("rejects a type the element does not allow", () => {
    const issue = onlyIssue({ ...base, valueMoney: { value: 1 } });
    expect(issue.expression).toBe("Observation.valueMoney");
    expect(issue.diagnostics).toMatch(/choice element value\[x\] does not allow type "Money"/);
  });

  it("rejects the bare choice name", () => {
    expect(onlyIssue({ ...base, value: "x" }).expression).toBe("Observation.value");
  });

  it("rejects two types of one choice", () => {
    const issue = onlyIssue({ ...base, valueString: "x", valueBoolean: true });
    expect(issue.diagnostics).toMatch(/Only one type of choice element value\[x\]/);
    expect(issue.expression).toBe("Observation.valueBoolean");
  });

  it("accepts a choice value with its primitive extension", () => {
    expect(validateResource({ ...base, valueString: "x", _valueString: { id: "v1" } })).toEqual([]);
  });

  it("validates the datatype of a choice", () => {
    const issue = onlyIssue({ ...base, valueQuantity: { value: "1" } });
    expect(issue.expression).toBe("Observation.valueQuantity.value");
    expect(issue.diagnostics).toMatch(/expected a JSON number but found the string "1"/);
  });

  it("accepts any datatype in an extension value", () => {
    const extension = [
      { url: "http://example.org/a", valueAge: { value: 3, unit: "a" } },
      { url: "http://example.org/b", valueDosage: { text: "once" } },
      { url: "http://example.org/c", valueMeta: { versionId: "1" } },
    ];
    expect(validateResource({ resourceType: "Patient", extension })).toEqual([]);
  });

  it("rejects comparator in a SimpleQuantity", () => {
    const dosage = [{ doseAndRate: [{ doseQuantity: { value: 1, comparator: "<" } }] }];
    const issue = onlyIssue({
      resourceType: "MedicationStatement",
      status: "active",
      medicationCodeableConcept: { text: "x" },
      subject: { reference: "Patient/1" },
      dosage,
    });
    expect(issue.expression).toBe("MedicationStatement.dosage[0].doseAndRate[0].doseQuantity.comparator");
  });
});

describe("primitive values", () => {
  it("checks JSON types", () => {
    const issue = onlyIssue({ resourceType: "Patient", active: "true" });
    expect(issue.code).toBe("structure");
    expect(issue.diagnostics).toBe('Invalid boolean: expected a JSON boolean but found the string "true"');
  });

  it("checks formats with code value", () => {
    const issue = onlyIssue({ resourceType: "Patient", birthDate: "2020-13-01" });
    expect(issue).toEqual({
      severity: "error",
      code: "value",
      diagnostics: 'Invalid date "2020-13-01": expected YYYY, YYYY-MM or YYYY-MM-DD',
      expression: "Patient.birthDate",
    });
  });

  it("types Resource.id and Element.id", () => {
    expect(onlyIssue({ resourceType: "Patient", id: "a b" }).expression).toBe("Patient.id");
    expect(validateResource({ resourceType: "Patient", name: [{ id: "any text: allowed", text: "x" }] })).toEqual([]);
  });

  it("rejects an object where a primitive is expected", () => {
    expect(onlyIssue({ resourceType: "Patient", gender: { value: "male" } }).diagnostics).toMatch(/found an object/);
  });
});

describe("primitive extensions", () => {
  const extension = [{ url: "http://example.org/x", valueString: "y" }];

  it("accepts paired arrays with nulls", () => {
    const name = [{ given: ["Jim", null, "Bob"], _given: [null, { extension }, { id: "g3" }] }];
    expect(validateResource({ resourceType: "Patient", name })).toEqual([]);
  });

  it("accepts an extension-only array", () => {
    expect(validateResource({ resourceType: "Patient", name: [{ _given: [{ extension }] }] })).toEqual([]);
  });

  it("rejects arrays of different lengths", () => {
    const name = [{ given: ["a", "b"], _given: [null, { extension }, { extension }] }];
    const issue = onlyIssue({ resourceType: "Patient", name });
    expect(issue.expression).toBe("Patient.name[0].given");
    expect(issue.diagnostics).toMatch(/same length/);
  });

  it("rejects null in both arrays", () => {
    const name = [{ given: ["a", null], _given: [{ extension }, null] }];
    const issues = validateResource({ resourceType: "Patient", name });
    expect(expressions(issues)).toEqual(["Patient.name[0].given[1]", "Patient.name[0].given[1]"]);
  });

  it("rejects null in a value array without _x", () => {
    expect(onlyIssue({ resourceType: "Patient", name: [{ given: [null] }] }).expression).toBe("Patient.name[0].given[0]");
  });

  it("checks the content of _x objects", () => {
    const _birthDate = { extension: [{ url: "u", valueDate: "2020-02-30" }] };
    const issue = onlyIssue({ resourceType: "Patient", birthDate: "2020", _birthDate });
    expect(issue.expression).toBe("Patient.birthDate.extension[0].valueDate");
  });

  it("rejects other elements in _x", () => {
    expect(onlyIssue({ resourceType: "Patient", _birthDate: { value: "2020" } }).expression).toBe("Patient.birthDate.value");
  });

  it("rejects object _x for repeating element", () => {
    const issue = onlyIssue({ resourceType: "Patient", name: [{ _given: { extension } }] });
    expect(issue.diagnostics).toMatch(/must be a JSON array/);
  });

  it("rejects array _x for single element", () => {
    expect(onlyIssue({ resourceType: "Patient", _birthDate: [{ extension }] }).diagnostics).toMatch(/found an array/);
  });

  it("rejects _div on narrative xhtml", () => {
    const text = { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>', _div: { id: "d" } };
    expect(onlyIssue({ resourceType: "Patient", text }).expression).toBe("Patient.text._div");
  });
});

describe("nested resources", () => {
  it("validates contained resources by type", () => {
    const contained = [{ resourceType: "Medication", id: "m1", code: { text: "x" }, form: { foo: 1 } }];
    const issue = onlyIssue({ resourceType: "Patient", contained });
    expect(issue.expression).toBe("Patient.contained[0].form.foo");
  });

  it("requires resourceType in contained resources", () => {
    const issue = onlyIssue({ resourceType: "Patient", contained: [{ id: "m1" }] });
    expect(issue.expression).toBe("Patient.contained[0]");
    expect(issue.code).toBe("required");
  });

  it("rejects resources nested in contained resources", () => {
    const inner = { resourceType: "Patient", id: "p2" };
    const group = { resourceType: "Group", id: "g", type: "person", actual: true, contained: [inner] };
    const issue = onlyIssue({ resourceType: "Patient", contained: [group] });
    expect(issue.expression).toBe("Patient.contained[0].contained[0]");
    expect(issue.diagnostics).toMatch(/dom-2/);
  });

  it("validates Bundle entries by type", () => {
    const bundle = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: { resourceType: "Patient", birthDate: "1990-02-30" }, request: { method: "POST", url: "Patient" } },
        { resource: { resourceType: "Nope" }, request: { method: "POST", url: "Nope" } },
      ],
    };
    expect(expressions(validateResource(bundle))).toEqual([
      "Bundle.entry[0].resource.birthDate",
      "Bundle.entry[1].resource.resourceType",
    ]);
  });

  it("allows contained resources in Bundle entries", () => {
    const patient = { resourceType: "Patient", contained: [{ resourceType: "Organization", id: "o" }] };
    expect(validateResource({ resourceType: "Bundle", type: "collection", entry: [{ resource: patient }] })).toEqual([]);
  });

  it("validates Parameters resources", () => {
    const parameter = [{ name: "r", resource: { resourceType: "Patient", foo: 1 } }];
    const parameters = { resourceType: "Parameters", parameter };
    expect(onlyIssue(parameters).expression).toBe("Parameters.parameter[0].resource.foo");
  });

  it("requires OperationOutcome as entry outcome", () => {
    const entry = [{ response: { status: "200", outcome: { resourceType: "Patient" } } }];
    expect(onlyIssue({ resourceType: "Bundle", type: "batch-response", entry }).expression).toBe(
      "Bundle.entry[0].response.outcome.resourceType",
    );
  });
});

describe("limits", () => {
  it("rejects nesting beyond MAX_DEPTH once", () => {
    let item: Record<string, unknown> = { linkId: "leaf", type: "display" };
    for (let level = 0; level < 200; level++) item = { linkId: `l${level}`, type: "group", item: [item] };
    const issue = onlyIssue({ resourceType: "Questionnaire", status: "draft", item: [item] });
    expect(issue.diagnostics).toMatch(new RegExp(`deeper than ${MAX_DEPTH}`));
  });

  it("accepts nesting up to MAX_DEPTH", () => {
    let item: Record<string, unknown> = { linkId: "leaf", type: "display" };
    for (let level = 0; level < MAX_DEPTH - 2; level++) item = { linkId: `l${level}`, type: "group", item: [item] };
    expect(validateResource({ resourceType: "Questionnaire", status: "draft", item: [item] })).toEqual([]);
  });

  it("stops at a cyclic object", () => {
    const name: Record<string, unknown> = { text: "x" };
    const patient = { resourceType: "Patient", contained: [] as unknown[] };
    patient.contained.push({ resourceType: "Bundle", type: "collection", entry: [{ resource: patient }] });
    name.extension = [{ url: "u", valueHumanName: name }];
    expect(() => validateResource({ resourceType: "Patient", name: [name] })).not.toThrow();
    expect(() => validateResource(patient)).not.toThrow();
  });

  it("caps the number of issues", () => {
    const resource: Record<string, unknown> = { resourceType: "Patient" };
    for (let index = 0; index < 500; index++) resource[`unknown${index}`] = index;
    const issues = validateResource(resource);
    expect(issues).toHaveLength(MAX_ISSUES);
    expect(issues[MAX_ISSUES - 2]?.expression).toBe(`Patient.unknown${MAX_ISSUES - 2}`);
    expect(issues[MAX_ISSUES - 1]?.diagnostics).toMatch(/more problems than are listed/);
  });

  it("returns all issues under the cap", () => {
    const resource: Record<string, unknown> = { resourceType: "Patient" };
    for (let index = 0; index < MAX_ISSUES - 1; index++) resource[`unknown${index}`] = index;
    const issues = validateResource(resource);
    expect(issues).toHaveLength(MAX_ISSUES - 1);
    expect(issues.every((issue) => issue.diagnostics.startsWith("Unknown element"))).toBe(true);
  });

  it("handles values that JSON cannot contain", () => {
    const resource = { resourceType: "Patient", active: () => true, gender: Symbol("x"), multipleBirthInteger: 10n };
    expect(validateResource(resource).map((issue) => issue.expression)).toEqual([
      "Patient.active",
      "Patient.gender",
      "Patient.multipleBirthInteger",
    ]);
  });
});
