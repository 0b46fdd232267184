import { describe, expect, it } from "vitest";
import { FhirError } from "../../outcome.ts";
import type { QueryClause } from "../model.ts";
import { testDefinitions } from "./fixtures.ts";
import { parseSearch } from "./parse.ts";

function clauseOf(resourceType: string, query: string, handling: "strict" | "lenient" = "strict"): QueryClause | undefined {
  const parsed = parseSearch({ resourceTypes: [resourceType], query: new URLSearchParams(query), handling, definitions: testDefinitions });
  return parsed.query.clauses[0];
}

function failure(action: () => unknown): FhirError {
  try {
    action();
  } catch (error) {
    if (error instanceof FhirError) return error;
    throw error;
  }
  throw new Error("expected a FhirError");
}

const nameIsPeter = { kind: "parameter", parameter: "name", type: "string", values: [{ type: "string", value: "peter", normalized: "peter" }] };

describe("chained parameters", () => {
  it("follows a typed chain", () => {
    expect(clauseOf("Observation", "subject:Patient.name=peter")).toEqual({ kind: "chain", parameter: "subject", target: "Patient", clause: nameIsPeter });
  });

  it("follows a reference with one target", () => {
    expect(clauseOf("Observation", "patient.name=peter")).toEqual({ kind: "chain", parameter: "patient", target: "Patient", clause: nameIsPeter });
  });

  it("picks the only target that defines the next parameter", () => {
    expect(clauseOf("Observation", "subject.gender=male")).toMatchObject({ kind: "chain", target: "Patient", clause: { parameter: "gender" } });
  });

  it("follows several hops", () => {
    expect(clauseOf("Observation", "subject:Patient.general-practitioner:Practitioner.name=peter")).toEqual({
      kind: "chain",
      parameter: "subject",
      target: "Patient",
      clause: { kind: "chain", parameter: "general-practitioner", target: "Practitioner", clause: nameIsPeter },
    });
  });

  it("follows several hops through single targets", () => {
    expect(clauseOf("Observation", "subject:Patient.organization.name=peter")).toEqual({
      kind: "chain",
      parameter: "subject",
      target: "Patient",
      clause: { kind: "chain", parameter: "organization", target: "Organization", clause: nameIsPeter },
    });
  });

  it("keeps modifiers on the last hop", () => {
    expect(clauseOf("Observation", "subject:Patient.name:exact=Peter")).toMatchObject({ clause: { modifier: "exact", values: [{ value: "Peter" }] } });
  });

  it("supports :missing at the end of a chain", () => {
    expect(clauseOf("Observation", "subject:Patient.gender:missing=true")).toEqual({
      kind: "chain",
      parameter: "subject",
      target: "Patient",
      clause: { kind: "parameter", parameter: "gender", type: "token", modifier: "missing", missing: true, values: [] },
    });
  });

  it("parses the chained value by the last parameter's type", () => {
    expect(clauseOf("Observation", "subject:Patient.birthdate=lt1990")).toMatchObject({ clause: { type: "date", values: [{ prefix: "lt" }] } });
  });

  it("rejects an ambiguous chain with a hint", () => {
    const error = failure(() => clauseOf("Observation", "subject.name=peter", "lenient"));
    expect(error.kind).toBe("invalid");
    expect(error.message).toContain("ambiguous");
    expect(error.message).toContain("subject:Patient.name");
  });

  it("rejects an ambiguous middle hop", () => {
    const error = failure(() => clauseOf("Observation", "subject:Patient.general-practitioner.name=peter"));
    expect(error.kind).toBe("invalid");
    expect(error.message).toContain("general-practitioner:Organization.name");
  });

  it.each([
    ["Observation", "code.name=x", "invalid"],
    ["Observation", "subject:Practitioner.name=x", "invalid"],
    ["Observation", "subject:Patient.colour=x", "not-supported"],
    ["Observation", "subject.colour=x", "not-supported"],
    ["Observation", "subject:Basic.name=x", "not-supported"],
    ["Observation", "subject:missing.name=x", "not-supported"],
    ["Observation", "subject:Patient:Patient.name=x", "not-supported"],
    ["Observation", "colour.name=x", "not-supported"],
    ["Observation", "subject:Patient.birthdate=soon", "invalid"],
    ["Observation", "subject:Patient.name:foo=x", "not-supported"],
  ])("rejects %s?%s as %s", (resourceType, query, kind) => {
    expect(failure(() => clauseOf(resourceType, query)).kind).toBe(kind);
  });

  it("ignores an unknown chained parameter under lenient handling", () => {
    const parsed = parseSearch({
      resourceTypes: ["Observation"],
      query: new URLSearchParams("subject:Patient.colour=x&code=1234-5"),
      handling: "lenient",
      definitions: testDefinitions,
    });
    expect(parsed.query.clauses).toHaveLength(1);
    expect(parsed.ignored[0]?.diagnostics).toContain("subject:Patient.colour");
    expect(parsed.applied).toEqual([["code", "1234-5"]]);
  });
});

describe("reverse chaining with _has", () => {
  it("parses _has:Observation:patient:code", () => {
    expect(clauseOf("Patient", "_has:Observation:patient:code=1234-5")).toEqual({
      kind: "has",
      resourceType: "Observation",
      reference: "patient",
      clause: { kind: "parameter", parameter: "code", type: "token", values: [{ type: "token", code: "1234-5" }] },
    });
  });

  it("parses nested _has", () => {
    expect(clauseOf("Patient", "_has:Observation:patient:_has:AuditEvent:entity:action=R")).toEqual({
      kind: "has",
      resourceType: "Observation",
      reference: "patient",
      clause: {
        kind: "has",
        resourceType: "AuditEvent",
        reference: "entity",
        clause: { kind: "parameter", parameter: "action", type: "token", values: [{ type: "token", code: "R" }] },
      },
    });
  });

  it("allows a modifier and a chain after _has", () => {
    expect(clauseOf("Patient", "_has:Observation:patient:code:not=1234-5")).toMatchObject({ clause: { modifier: "not" } });
    expect(clauseOf("Patient", "_has:Observation:patient:encounter.subject:Patient.name=peter")).toMatchObject({
      clause: { kind: "chain", parameter: "encounter", target: "Encounter", clause: { kind: "chain", target: "Patient" } },
    });
  });

  it("allows a chain that ends in _has", () => {
    expect(clauseOf("Observation", "subject:Patient._has:RiskAssessment:subject:probability=gt0.5")).toMatchObject({
      kind: "chain",
      target: "Patient",
      clause: { kind: "has", resourceType: "RiskAssessment", reference: "subject", clause: { type: "number" } },
    });
  });

  it.each([
    ["_has:Observation:patient=1", "invalid"],
    ["_has:Observation=1", "invalid"],
    ["_has:Observation:code:code=1", "invalid"],
    ["_has:Observation:encounter:code=1", "invalid"],
    ["_has:Basic:subject:code=1", "not-supported"],
    ["_has:Observation:colour:code=1", "not-supported"],
    ["_has:Observation:patient:colour=1", "not-supported"],
    ["_has:Observation:patient:date=never", "invalid"],
  ])("rejects %s as %s", (query, kind) => {
    expect(failure(() => clauseOf("Patient", query)).kind).toBe(kind);
  });
});
