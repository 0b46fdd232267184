import { describe, expect, it } from "vitest";
import { parseDateRange } from "../../datetime.ts";
import { OPEN_END, OPEN_START, type IndexValue, type QueryClause } from "../model.ts";
import { testDefinitions } from "./fixtures.ts";
import { matchesClause } from "./match.ts";
import { parseDecimalRange } from "./number.ts";
import { parseSearch } from "./parse.ts";
import { normalizeString } from "./string.ts";

const NOW = Date.parse("2024-01-01T00:00:00Z");
const UCUM = "http://unitsofmeasure.org";
const toGrams = (value: number, code: string) =>
  code === "mg" ? { value: value / 1000, code: "g" } : code === "g" ? { value, code: "g" } : code === "m" ? { value, code: "m" } : undefined;

/** Parses `query` for `resourceType` and returns its only clause, which must be a parameter clause. */
function clause(resourceType: string, query: string): QueryClause & { kind: "parameter" } {
  const parsed = parseSearch({
    resourceTypes: [resourceType],
    query: new URLSearchParams(query),
    handling: "strict",
    definitions: testDefinitions,
    baseUrl: "https://flint.example/fhir",
    canonicalize: toGrams,
  });
  const [only] = parsed.query.clauses;
  if (only?.kind !== "parameter") throw new Error(`expected one parameter clause for ${query}`);
  return only;
}

function matches(resourceType: string, query: string, values: Record<string, IndexValue[]>): boolean {
  return matchesClause(new Map(Object.entries(values)), clause(resourceType, query), { now: NOW });
}

function str(text: string): IndexValue {
  return { type: "string", exact: text, normalized: normalizeString(text) };
}

function day(text: string): IndexValue {
  const range = parseDateRange(text);
  if (range === undefined) throw new Error(`bad date ${text}`);
  return { type: "date", start: range.start, end: range.end };
}

function period(start: string | undefined, end: string | undefined): IndexValue {
  return {
    type: "date",
    start: start === undefined ? OPEN_START : Date.parse(start),
    end: end === undefined ? OPEN_END : Date.parse(end),
  };
}

function decimal(text: string): { value: number; low: number; high: number } {
  const range = parseDecimalRange(text);
  if (range === undefined) throw new Error(`bad number ${text}`);
  return range;
}

function num(text: string): IndexValue {
  return { type: "number", ...decimal(text) };
}

function qty(text: string, system: string | undefined, code: string | undefined, unit?: string): IndexValue {
  const range = decimal(text);
  const value: IndexValue = { type: "quantity", ...range, system, code, unit };
  const canonical = system === UCUM && code !== undefined ? toGrams(range.value, code) : undefined;
  if (canonical === undefined || code === undefined) return value;
  return { ...value, canonical: { value: canonical.value, low: toGrams(range.low, code)!.value, high: toGrams(range.high, code)!.value, code: canonical.code } };
}

describe("string matching", () => {
  const name = { name: [str("Köhlerprobe"), str("Anna")] };

  it.each([
    ["name=kohler", true],
    ["name=KÖHLER", true],
    ["name=Köhlerprobe", true],
    ["name=hler", false],
    ["name=anna", true],
    ["name=bob,anna", true],
    ["name:exact=Köhlerprobe", true],
    ["name:exact=köhlerprobe", false],
    ["name:exact=Kohlerprobe", false],
    ["name:exact=Köhler", false],
    ["name:contains=hlerpro", true],
    ["name:contains=HLERPRO", true],
    ["name:contains=xyz", false],
  ])("%s → %s", (query, expected) => {
    expect(matches("Patient", query, name)).toBe(expected);
  });

  it("matches only the values that extraction kept", () => {
    // Extraction leaves HumanName.use out of `name`, so `maiden` has nothing to match.
    expect(matches("Patient", "name=maiden", { name: [str("Mary"), str("Smith")] })).toBe(false);
  });
});

describe("token matching", () => {
  const codes = {
    code: [
      { type: "token", system: "http://example.org/cs/alpha", code: "A1", text: "blood pressure panel" },
      { type: "token", system: "http://example.org/cs/beta", code: "B1" },
      { type: "token", system: "", code: "LOCAL-5" },
    ] satisfies IndexValue[],
  };

  it.each([
    ["code=A1", true],
    ["code=a1", false],
    ["code=LOCAL-5", true],
    ["code=http://example.org/cs/alpha|A1", true],
    ["code=http://example.org/cs/beta|A1", false],
    ["code=http://example.org/cs/alpha|", true],
    ["code=http://example.org/cs/gamma|", false],
    ["code=|LOCAL-5", true],
    ["code=|A1", false],
    ["code=http://example.org/cs/beta|LOCAL-5", false],
    ["code=X,B1", true],
    ["code:text=Blood", true],
    ["code:text=blood pres", true],
    ["code:text=pressure", false],
    ["code:not=A1", false],
    ["code:not=Z9", true],
    ["code:not=Z9,B1", false],
    ["code:missing=false", true],
    ["code:missing=true", false],
  ])("%s → %s", (query, expected) => {
    expect(matches("Observation", query, codes)).toBe(expected);
  });

  it("matches a system-only search against that system alone", () => {
    const beta = { code: [{ type: "token", system: "http://example.org/cs/beta", code: "A1" }] satisfies IndexValue[] };
    expect(matches("Observation", "code=http://example.org/cs/alpha|", beta)).toBe(false);
  });

  it("keeps a code without system out of |code when extraction gives no system", () => {
    const gender = { gender: [{ type: "token", code: "male" }] satisfies IndexValue[] };
    expect(matches("Patient", "gender=male", gender)).toBe(true);
    expect(matches("Patient", "gender=|male", gender)).toBe(false);
  });

  it.each([
    ["gender:not=male", {}, true],
    ["gender:not=male", { gender: [{ type: "token", code: "female" }] }, true],
    ["gender:not=male", { gender: [{ type: "token", code: "male" }] }, false],
    ["gender:missing=true", {}, true],
    ["gender:missing=true", { gender: [] }, true],
    ["gender:missing=false", {}, false],
    ["gender=male", {}, false],
  ] as Array<[string, Record<string, IndexValue[]>, boolean]>)("%s on %j → %s", (query, values, expected) => {
    expect(matches("Patient", query, values)).toBe(expected);
  });

  it.each([
    ["identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053", true],
    ["identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|999", false],
    ["identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|SS|446053", false],
    ["identifier:of-type=http://other.org|MR|446053", false],
    ["identifier=urn:oid:1.2.36.146.595.217.0.1|446053", true],
    ["identifier:text=medical", true],
  ])("%s → %s", (query, expected) => {
    const identifier = {
      identifier: [
        {
          type: "token",
          system: "urn:oid:1.2.36.146.595.217.0.1",
          code: "446053",
          text: "medical record number",
          identifierType: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "MR" }],
        },
      ] satisfies IndexValue[],
    };
    expect(matches("Patient", query, identifier)).toBe(expected);
  });
});

describe("date matching", () => {
  const table: Array<[string, IndexValue, string, boolean]> = [
    ["a day", day("2024-05-15"), "date=2024", true],
    ["a day", day("2024-05-15"), "date=eq2024-05", true],
    ["a day", day("2024-05-15"), "date=2024-05-15", true],
    ["a day", day("2024-05-15"), "date=2024-05-15T10:00Z", false],
    ["a day", day("2024-05-15"), "date=ne2023", true],
    ["a day", day("2024-05-15"), "date=ne2024", false],
    ["a day", day("2024-05-15"), "date=gt2024", false],
    ["a day", day("2024-05-15"), "date=gt2023", true],
    ["a day", day("2024-05-15"), "date=gt2024-05-14", true],
    ["a day", day("2024-05-15"), "date=ge2024", true],
    ["a day", day("2024-05-15"), "date=ge2024-05-15", true],
    ["a day", day("2024-05-15"), "date=ge2024-05-16", false],
    ["a day", day("2024-05-15"), "date=lt2025", true],
    ["a day", day("2024-05-15"), "date=lt2024", false],
    ["a day", day("2024-05-15"), "date=le2024", true],
    ["a day", day("2024-05-15"), "date=le2024-05-14", false],
    ["a day", day("2024-05-15"), "date=sa2023", true],
    ["a day", day("2024-05-15"), "date=sa2024-05-14", true],
    ["a day", day("2024-05-15"), "date=sa2024", false],
    ["a day", day("2024-05-15"), "date=eb2025", true],
    ["a day", day("2024-05-15"), "date=eb2024", false],
    ["an instant", day("2024-05-15T10:00:30Z"), "date=2024-05-15T10:00Z", true],
    ["an instant", day("2024-05-15T10:00:30Z"), "date=2024-05-15T12:00:30+02:00", true],
    ["an instant", day("2024-05-15T10:00:30Z"), "date=gt2024-05-15T10:00:29Z", true],
    ["an instant", day("2024-05-15T10:00:30Z"), "date=gt2024-05-15T10:00:30Z", false],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=2024", false],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=ne2024", true],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=lt2024", true],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=le2024", true],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=gt2024", false],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=ge2024", false],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=gt2024-03", true],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=sa2022", true],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=sa2023", false],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=eb2025", true],
    ["a period across 2024", period("2023-06-01T00:00:00Z", "2024-07-01T00:00:00Z"), "date=eb2024-06", false],
    ["a period within 2024", period("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"), "date=2024", true],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=le2030", true],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=lt2030", true],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=gt2032", false],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=ge2032", false],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=gt2030", true],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=eq2030", false],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=sa2020", false],
    ["an end-only timing", period(undefined, "2031-05-20T10:00:00Z"), "date=eb2032", true],
    ["a start-only period", period("2024-01-01T00:00:00Z", undefined), "date=gt2030", true],
    ["a start-only period", period("2024-01-01T00:00:00Z", undefined), "date=lt2023", false],
    ["a start-only period", period("2024-01-01T00:00:00Z", undefined), "date=sa2023", true],
    ["a start-only period", period("2024-01-01T00:00:00Z", undefined), "date=eb2030", false],
    ["a start-only period", period("2024-01-01T00:00:00Z", undefined), "date=ne2024", true],
  ];

  it.each(table)("%s %# matches %s → %s", (_label, value, query, expected) => {
    expect(matches("Observation", query.replace("+", "%2B"), { date: [value] })).toBe(expected);
  });

  it.each([
    ["2014-06-01", "date=ap2014", true],
    ["2014-06-01", "date=ap2015", true],
    ["2013-06-01", "date=ap2015", false],
    ["2016-08-01", "date=ap2015", true],
    ["2017-01-01", "date=ap2015", false],
    ["2023-12-31", "date=ap2024-01-01", false],
    ["2024-01-01", "date=ap2024-01-01", true],
  ])("%s matches %s → %s (10%% of the gap to 2024-01-01)", (value, query, expected) => {
    expect(matches("Observation", query, { date: [day(value)] })).toBe(expected);
  });

  it("matches any of several values", () => {
    expect(matches("Observation", "date=2020", { date: [day("2019-01-01"), day("2020-03-03")] })).toBe(true);
  });
});

describe("number matching", () => {
  it.each([
    ["0.8", "probability=0.8", true],
    ["0.82", "probability=0.8", true],
    ["0.84", "probability=0.8", true],
    ["0.85", "probability=0.8", false],
    ["0.9", "probability=0.8", false],
    ["0.9", "probability=ne0.8", true],
    ["0.8", "probability=ne0.8", false],
    ["0.9", "probability=gt0.8", true],
    ["0.82", "probability=gt0.8", true],
    ["0.8", "probability=gt0.8", false],
    ["0.8", "probability=gt8e-1", false],
    ["0.9", "probability=gt8e-1", true],
    ["0.8", "probability=ge0.8", true],
    ["0.82", "probability=ge0.8", true],
    ["0.7", "probability=ge0.8", false],
    ["0.7", "probability=lt0.8", true],
    ["0.76", "probability=lt0.8", true],
    ["0.8", "probability=lt0.8", false],
    ["0.8", "probability=le0.8", true],
    ["0.9", "probability=le0.8", false],
    ["0.9", "probability=sa0.8", true],
    ["0.81", "probability=sa0.8", true],
    ["0.8", "probability=sa0.8", false],
    ["0.79", "probability=eb0.8", true],
    ["0.8", "probability=eb0.8", false],
    ["0.87", "probability=ap0.8", true],
    ["0.9", "probability=ap0.8", false],
    ["0.73", "probability=ap0.8", true],
    ["0.71", "probability=ap0.8", false],
    ["120", "probability=1e2", true],
    ["120", "probability=1.0e2", false],
    ["100.4", "probability=100", true],
    ["100.3", "probability=gt100", true],
    ["100.3", "probability=gt100.0", true],
    ["100.0", "probability=100.00", true],
    ["100.01", "probability=100.00", false],
  ])("%s matches %s → %s", (value, query, expected) => {
    expect(matches("RiskAssessment", query, { probability: [num(value)] })).toBe(expected);
  });

  it.each([
    ["probability=100", true],
    ["probability=100.0", true],
    ["probability=100.5", false],
    ["probability=gt99", true],
    ["probability=gt100", false],
    ["probability=ge100", true],
    ["probability=lt101", true],
    ["probability=le100", true],
  ])("integer 100 matches %s → %s", (query, expected) => {
    expect(matches("RiskAssessment", query, { probability: [num("100")] })).toBe(expected);
  });
});

describe("quantity matching", () => {
  const milligrams = { "value-quantity": [qty("5.4", UCUM, "mg", "milligram")] };

  it.each([
    ["value-quantity=5.4|http://unitsofmeasure.org|mg", true],
    ["value-quantity=5.4||mg", true],
    ["value-quantity=5.4||milligram", true],
    ["value-quantity=5.4|http://unitsofmeasure.org|milligram", false],
    ["value-quantity=5.4|http://example.org/units|mg", false],
    ["value-quantity=5.4", true],
    ["value-quantity=5.5", false],
    ["value-quantity=gt5|http://unitsofmeasure.org|mg", true],
    ["value-quantity=gt5.4|http://unitsofmeasure.org|mg", false],
    ["value-quantity=gt5.0|http://unitsofmeasure.org|mg", true],
    ["value-quantity=lt5|http://unitsofmeasure.org|mg", false],
    ["value-quantity=0.0054|http://unitsofmeasure.org|g", true],
    ["value-quantity=0.0055|http://unitsofmeasure.org|g", false],
    ["value-quantity=gt0.004|http://unitsofmeasure.org|g", true],
    ["value-quantity=5.4|http://unitsofmeasure.org|m", false],
    ["value-quantity=ap5|http://unitsofmeasure.org|mg", true],
  ])("5.4 mg matches %s → %s", (query, expected) => {
    expect(matches("Observation", query, milligrams)).toBe(expected);
  });

  it("matches a mg search against a value in g", () => {
    const grams = { "value-quantity": [qty("0.5000", UCUM, "g")] };
    expect(matches("Observation", "value-quantity=500|http://unitsofmeasure.org|mg", grams)).toBe(true);
    expect(matches("Observation", "value-quantity=600|http://unitsofmeasure.org|mg", grams)).toBe(false);
  });

  it("compares codes when the stored value has no canonical form", () => {
    const plain = { "value-quantity": [qty("500", UCUM, "[lb_av]")] };
    expect(matches("Observation", "value-quantity=500|http://unitsofmeasure.org|[lb_av]", plain)).toBe(true);
    expect(matches("Observation", "value-quantity=500|http://unitsofmeasure.org|mg", plain)).toBe(false);
  });
});

describe("reference matching", () => {
  const subject = {
    subject: [
      { type: "reference", reference: "Patient/123", resourceType: "Patient", identifier: { system: "urn:mrn", value: "12345" } },
      { type: "reference", url: "https://other.example/fhir/Group/9", resourceType: "Group" },
    ] satisfies IndexValue[],
  };

  it.each([
    ["subject=Patient/123", true],
    ["subject=Patient/124", false],
    ["subject=Group/123", false],
    ["subject=123", true],
    ["subject:Patient=123", true],
    ["subject:Group=123", false],
    ["subject=https://flint.example/fhir/Patient/123", true],
    ["subject=https://other.example/fhir/Group/9", true],
    ["subject=https://other.example/fhir/Group/8", false],
    ["subject:identifier=urn:mrn|12345", true],
    ["subject:identifier=12345", true],
    ["subject:identifier=urn:other|12345", false],
    ["subject:identifier=|12345", false],
    ["subject:missing=false", true],
  ])("%s → %s", (query, expected) => {
    expect(matches("Observation", query, subject)).toBe(expected);
  });

  it.each([
    ["subject=http://example.org/fhir/Measure/m1", true],
    ["subject=http://example.org/fhir/Measure/m1|2.0", true],
    ["subject=http://example.org/fhir/Measure/m1|1.0", false],
  ])("canonical %s → %s", (query, expected) => {
    const canonical = { subject: [{ type: "reference", url: "http://example.org/fhir/Measure/m1", version: "2.0" }] satisfies IndexValue[] };
    expect(matches("Observation", query, canonical)).toBe(expected);
  });
});

describe("uri matching", () => {
  it.each([
    ["url=http://acme.org/fhir/ValueSet/123", true],
    ["url=http://acme.org/fhir/ValueSet/12", false],
    ["url=HTTP://acme.org/fhir/ValueSet/123", false],
    ["url:below=http://acme.org/fhir", true],
    ["url:below=http://acme.org/fhir/", true],
    ["url:below=http://acme.org/fh", false],
    ["url:below=http://acme.org/fhir/ValueSet/123", true],
    ["url:above=http://acme.org/fhir/ValueSet/123/_history/5", true],
    ["url:above=http://acme.org/fhir/ValueSet/1234", false],
    ["url:above=http://acme.org/fhir", false],
  ])("%s → %s", (query, expected) => {
    expect(matches("ValueSet", query, { url: [{ type: "uri", value: "http://acme.org/fhir/ValueSet/123" }] })).toBe(expected);
  });

  it.each([
    ["url=urn:oid:1.2.3", true],
    ["url:below=urn:oid:1.2", false],
    ["url:below=urn:oid:1.2.3", true],
    ["url:above=urn:oid:1.2.3.4", false],
  ])("URN %s → %s", (query, expected) => {
    expect(matches("ValueSet", query, { url: [{ type: "uri", value: "urn:oid:1.2.3" }] })).toBe(expected);
  });
});

describe("composite matching", () => {
  const systolic = { type: "token", system: "http://loinc.org", code: "8480-6" } satisfies IndexValue;
  const diastolic = { type: "token", system: "http://loinc.org", code: "8462-4" } satisfies IndexValue;
  const components = {
    "component-code-value-quantity": [
      { type: "composite", components: [[systolic], [qty("120", UCUM, "mm[Hg]")]] },
      { type: "composite", components: [[diastolic], [qty("80", UCUM, "mm[Hg]")]] },
    ] satisfies IndexValue[],
  };

  it.each([
    ["http://loinc.org|8480-6$gt100", true],
    ["http://loinc.org|8480-6$120", true],
    ["8480-6$120|http://unitsofmeasure.org|mm[Hg]", true],
    ["http://loinc.org|8462-4$gt100", false],
    ["http://loinc.org|8462-4$lt90", true],
    ["http://loinc.org|8480-6$lt90", false],
    ["http://loinc.org|8462-4$120,http://loinc.org|8480-6$120", true],
  ])("blood pressure matches %s → %s", (value, expected) => {
    expect(matches("Observation", `component-code-value-quantity=${encodeURIComponent(value)}`, components)).toBe(expected);
  });

  it("matches code and value of one repetition", () => {
    expect(matches("Observation", `code-value-quantity=${encodeURIComponent("http://loinc.org|8480-6$gt100")}`, {
      "code-value-quantity": [{ type: "composite", components: [[systolic], [qty("120", UCUM, "mm[Hg]")]] }],
    })).toBe(true);
  });
});
