import { describe, expect, it } from "vitest";
import { FhirError } from "../../outcome.ts";
import { parseDateValue } from "./date.ts";
import { splitUnescaped, unescapeValue } from "./escape.ts";
import { parseDecimalRange, parseNumberValue } from "./number.ts";
import { parseQuantityValue, UCUM_SYSTEM } from "./quantity.ts";
import { parseReferenceIdentifier, parseReferenceValue } from "./reference.ts";
import { normalizeString, parseStringValue } from "./string.ts";
import { parseTokenOfType, parseTokenText, parseTokenValue } from "./token.ts";

function errorKind(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    if (error instanceof FhirError) return error.kind;
    throw error;
  }
}

describe("escaping", () => {
  it.each([
    ["a,b", ",", ["a", "b"]],
    ["a\\,b,c", ",", ["a\\,b", "c"]],
    ["a\\\\,b", ",", ["a\\\\", "b"]],
    ["sys|code", "|", ["sys", "code"]],
    ["sys\\|x|code", "|", ["sys\\|x", "code"]],
    ["a$b\\$c", "$", ["a", "b\\$c"]],
    ["", ",", [""]],
  ] as const)("splits %s at %s", (text, separator, parts) => {
    expect(splitUnescaped(text, separator)).toEqual(parts);
  });

  it.each([
    ["a\\,b", "a,b"],
    ["a\\|b", "a|b"],
    ["a\\$b", "a$b"],
    ["a\\\\b", "a\\b"],
    ["plain", "plain"],
  ])("unescapes %s", (text, expected) => {
    expect(unescapeValue(text, "p")).toBe(expected);
  });

  it.each(["a\\b", "trailing\\"])("rejects stray backslash in %s", (text) => {
    expect(errorKind(() => unescapeValue(text, "p"))).toBe("invalid");
  });
});

describe("number precision", () => {
  it.each([
    ["100", 100, 99.5, 100.5],
    ["100.00", 100, 99.995, 100.005],
    ["1e2", 100, 50, 150],
    ["1.0e2", 100, 95, 105],
    ["1.00E+2", 100, 99.5, 100.5],
    ["0.001", 0.001, 0.0005, 0.0015],
    ["2.5e-3", 0.0025, 0.00245, 0.00255],
    ["-5", -5, -5.5, -4.5],
    ["0", 0, -0.5, 0.5],
  ])("%s covers its implicit range", (text, value, low, high) => {
    expect(parseDecimalRange(text)).toEqual({ value, low, high });
  });

  it.each(["", "abc", "1.", ".5", "1e", "1e999", "+1", "0x10", "1,5"])("rejects %j", (text) => {
    expect(parseDecimalRange(text)).toBeUndefined();
  });

  it.each([
    ["100", "eq"],
    ["eq100", "eq"],
    ["ne100", "ne"],
    ["gt100", "gt"],
    ["lt100", "lt"],
    ["ge100", "ge"],
    ["le100", "le"],
    ["sa100", "sa"],
    ["eb100", "eb"],
    ["ap100", "ap"],
  ])("reads the prefix of %s", (text, prefix) => {
    expect(parseNumberValue(text, "probability")).toMatchObject({ type: "number", prefix, value: 100 });
  });

  it.each(["xx100", "gt", "gtabc", "GT100"])("rejects number %s", (text) => {
    expect(errorKind(() => parseNumberValue(text, "probability"))).toBe("invalid");
  });
});

describe("date values", () => {
  it.each([
    ["2024", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", "eq"],
    ["ge2024-05", "2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z", "ge"],
    ["lt2024-05-01", "2024-05-01T00:00:00Z", "2024-05-02T00:00:00Z", "lt"],
    ["2024-05-01T10:00Z", "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z", "eq"],
    ["2024-05-01T10:00:30+02:00", "2024-05-01T08:00:30Z", "2024-05-01T08:00:31Z", "eq"],
    ["2024-05-01T10:00", "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z", "eq"],
    ["sa2024-05-01T10:00:30.5Z", "2024-05-01T10:00:30.500Z", "2024-05-01T10:00:30.600Z", "sa"],
  ])("%s covers its range", (text, start, end, prefix) => {
    expect(parseDateValue(text, "date")).toEqual({ type: "date", prefix, start: Date.parse(start), end: Date.parse(end) });
  });

  it.each(["not-a-date", "2024-13", "2024-02-30", "gt", "20240501", "xx2024"])("rejects date %s", (text) => {
    expect(errorKind(() => parseDateValue(text, "date"))).toBe("invalid");
  });
});

describe("quantity values", () => {
  const toGrams = (value: number, code: string) => (code === "mg" ? { value: value / 1000, code: "g" } : undefined);

  it("reads number, system and code", () => {
    expect(parseQuantityValue("gt5.4|http://unitsofmeasure.org|mg", "value-quantity")).toEqual({
      type: "quantity",
      prefix: "gt",
      value: 5.4,
      low: 5.35,
      high: 5.45,
      system: UCUM_SYSTEM,
      code: "mg",
    });
  });

  it("reads a code without a system", () => {
    expect(parseQuantityValue("5.4||mg", "value-quantity")).toEqual({ type: "quantity", prefix: "eq", value: 5.4, low: 5.35, high: 5.45, code: "mg" });
  });

  it("reads a bare number", () => {
    expect(parseQuantityValue("ap5", "value-quantity")).toEqual({ type: "quantity", prefix: "ap", value: 5, low: 4.5, high: 5.5 });
  });

  it("unescapes the code", () => {
    expect(parseQuantityValue("5|urn:x|a\\|b", "value-quantity")).toMatchObject({ system: "urn:x", code: "a|b" });
  });

  it("canonicalizes UCUM quantities", () => {
    const value = parseQuantityValue("5|http://unitsofmeasure.org|mg", "value-quantity", toGrams);
    expect(value.canonical?.code).toBe("g");
    expect(value.canonical?.value).toBeCloseTo(0.005, 12);
    expect(value.canonical?.low).toBeCloseTo(0.0045, 12);
    expect(value.canonical?.high).toBeCloseTo(0.0055, 12);
  });

  it.each(["5||mg", "5|http://example.org/units|mg", "5|http://unitsofmeasure.org|furlong"])("leaves %s without canonical form", (text) => {
    expect(parseQuantityValue(text, "value-quantity", toGrams).canonical).toBeUndefined();
  });

  it.each(["mg", "5|mg", "5|a|b|c", "abc||mg", "5|http://unitsofmeasure.org|", "|http://unitsofmeasure.org|mg"])("rejects %s", (text) => {
    expect(errorKind(() => parseQuantityValue(text, "value-quantity"))).toBe("invalid");
  });
});

describe("token values", () => {
  it.each([
    ["male", { type: "token", code: "male" }],
    ["http://loinc.org|8480-6", { type: "token", system: "http://loinc.org", code: "8480-6" }],
    ["|LOCAL-5", { type: "token", system: "", code: "LOCAL-5" }],
    ["http://example.org/cs/alpha|", { type: "token", system: "http://example.org/cs/alpha" }],
    ["urn:x|a\\|b", { type: "token", system: "urn:x", code: "a|b" }],
    ["a\\,b", { type: "token", code: "a,b" }],
    ["gt100", { type: "token", code: "gt100" }],
  ])("parses %s", (text, expected) => {
    expect(parseTokenValue(text, "code")).toEqual(expected);
  });

  it.each(["|", "a|b|c"])("rejects token %s", (text) => {
    expect(errorKind(() => parseTokenValue(text, "code"))).toBe("invalid");
  });

  it("normalizes :text values", () => {
    expect(parseTokenText("Blöod Préssure", "code")).toEqual({ type: "token-text", text: "blood pressure" });
  });

  it("parses :of-type values", () => {
    expect(parseTokenOfType("http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053", "identifier")).toEqual({
      type: "token-of-type",
      system: "http://terminology.hl7.org/CodeSystem/v2-0203",
      code: "MR",
      value: "446053",
    });
  });

  it.each(["MR|446053", "sys||446053", "sys|MR|", "a|b|c|d"])("rejects :of-type %s", (text) => {
    expect(errorKind(() => parseTokenOfType(text, "identifier"))).toBe("invalid");
  });
});

describe("string values", () => {
  it.each([
    ["Köhler", "kohler"],
    ["KÖHLER", "kohler"],
    ["Zoë", "zoe"],
    ["Ærøskøbing", "ærøskøbing"],
    ["ŁÓDŹ", "łodz"],
  ])("normalizes %s", (text, normalized) => {
    expect(normalizeString(text)).toBe(normalized);
  });

  it("keeps the written form", () => {
    expect(parseStringValue("KÖHLER")).toEqual({ type: "string", value: "KÖHLER", normalized: "kohler" });
  });
});

describe("reference values", () => {
  const base = { baseUrl: "https://flint.example/fhir" };

  it.each([
    ["Patient/123", {}, { type: "reference", resourceType: "Patient", id: "123" }],
    ["123", {}, { type: "reference", id: "123" }],
    ["123", { typeModifier: "Patient" }, { type: "reference", id: "123", resourceType: "Patient" }],
    ["https://flint.example/fhir/Patient/123", base, { type: "reference", resourceType: "Patient", id: "123" }],
    ["https://other.example/fhir/Patient/123", base, { type: "reference", url: "https://other.example/fhir/Patient/123" }],
    ["https://flint.example/fhir/Patient/123", {}, { type: "reference", url: "https://flint.example/fhir/Patient/123" }],
    ["http://example.org/fhir/ValueSet/vs|1.2", {}, { type: "reference", url: "http://example.org/fhir/ValueSet/vs", version: "1.2" }],
    ["urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7", {}, { type: "reference", url: "urn:uuid:53fefa32-fcbb-4ff8-8a92-55ee120877b7" }],
  ])("parses %s", (text, options, expected) => {
    expect(parseReferenceValue(text, "subject", options)).toEqual(expected);
  });

  it.each([
    ["Patient/123", { typeModifier: "Group" }],
    ["patient/123", {}],
    ["Patient/", {}],
    ["a b", {}],
    ["Patient/123|2", {}],
    ["http://example.org/vs|", {}],
    ["http://x|1|2", {}],
    ["https://flint.example/fhir/not a reference", base],
  ])("rejects %s", (text, options) => {
    expect(errorKind(() => parseReferenceValue(text, "subject", options))).toBe("invalid");
  });

  it("does not support version-specific references", () => {
    expect(errorKind(() => parseReferenceValue("Patient/123/_history/2", "subject", {}))).toBe("not-supported");
  });

  it.each([
    ["urn:mrn|12345", { type: "reference-identifier", system: "urn:mrn", value: "12345" }],
    ["12345", { type: "reference-identifier", value: "12345" }],
    ["|12345", { type: "reference-identifier", system: "", value: "12345" }],
    ["urn:mrn|", { type: "reference-identifier", system: "urn:mrn" }],
  ])("parses :identifier %s", (text, expected) => {
    expect(parseReferenceIdentifier(text, "subject")).toEqual(expected);
  });
});
