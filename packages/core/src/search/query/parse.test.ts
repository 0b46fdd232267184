import { describe, expect, it } from "vitest";
import { FhirError } from "../../outcome.ts";
import { testDefinitions } from "./fixtures.ts";
import { parseSearch, type ParseSearchInput } from "./parse.ts";

function parse(query: string, options: Partial<ParseSearchInput> = {}) {
  return parseSearch({
    resourceTypes: ["Patient"],
    query: new URLSearchParams(query),
    handling: "strict",
    definitions: testDefinitions,
    ...options,
  });
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

describe("parseSearch combining", () => {
  it("joins repeated parameters with AND", () => {
    const { query } = parse("gender=male&gender=female");
    expect(query.clauses).toEqual([
      { kind: "parameter", parameter: "gender", type: "token", values: [{ type: "token", code: "male" }] },
      { kind: "parameter", parameter: "gender", type: "token", values: [{ type: "token", code: "female" }] },
    ]);
  });

  it("reads a comma list as OR", () => {
    const { query } = parse("gender=male,female");
    expect(query.clauses).toEqual([
      { kind: "parameter", parameter: "gender", type: "token", values: [{ type: "token", code: "male" }, { type: "token", code: "female" }] },
    ]);
  });

  it("keeps escaped commas in one value", () => {
    const { query } = parse(`name=${encodeURIComponent("Smith\\,John,Doe")}`);
    expect(query.clauses[0]).toMatchObject({ values: [{ value: "Smith,John" }, { value: "Doe" }] });
  });

  it("reads a prefix-like string as text", () => {
    const { query } = parse("name=gene");
    expect(query.clauses[0]).toMatchObject({ values: [{ type: "string", value: "gene" }] });
  });

  it("returns defaults without parameters", () => {
    const { query, ignored, applied } = parse("");
    expect(query).toEqual({ resourceTypes: ["Patient"], clauses: [], sort: [], include: [], revinclude: [], count: 50, total: "none" });
    expect(ignored).toEqual([]);
    expect(applied).toEqual([]);
  });
});

describe("parseSearch types and modifiers", () => {
  it.each([
    ["name=Köhler", { parameter: "name", type: "string", values: [{ type: "string", value: "Köhler", normalized: "kohler" }] }],
    ["name:exact=Köhler", { modifier: "exact", values: [{ value: "Köhler" }] }],
    ["name:contains=hler", { modifier: "contains", values: [{ normalized: "hler" }] }],
    ["gender:not=male", { type: "token", modifier: "not", values: [{ type: "token", code: "male" }] }],
    ["identifier:text=Medical", { modifier: "text", values: [{ type: "token-text", text: "medical" }] }],
    ["identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|446053", { modifier: "of-type", values: [{ type: "token-of-type", code: "MR" }] }],
    ["birthdate=ge1980&birthdate=lt1990", { type: "date", values: [{ type: "date", prefix: "ge" }] }],
    ["general-practitioner=Practitioner/12", { type: "reference", values: [{ type: "reference", resourceType: "Practitioner", id: "12" }] }],
    ["general-practitioner:Practitioner=12", { modifier: "type:Practitioner", values: [{ resourceType: "Practitioner", id: "12" }] }],
    ["general-practitioner:identifier=urn:npi|123", { modifier: "identifier", values: [{ type: "reference-identifier", system: "urn:npi", value: "123" }] }],
    ["gender:missing=true", { modifier: "missing", missing: true, values: [] }],
    ["birthdate:missing=false", { modifier: "missing", missing: false, values: [] }],
    ["_id=abc,def", { parameter: "_id", type: "token", values: [{ code: "abc" }, { code: "def" }] }],
    ["_lastUpdated=gt2024-01-01", { parameter: "_lastUpdated", type: "date" }],
    ["_tag=http://example.org/tags|vip", { parameter: "_tag", values: [{ system: "http://example.org/tags", code: "vip" }] }],
    ["_profile:below=http://example.org/fhir/StructureDefinition", { parameter: "_profile", type: "uri", modifier: "below" }],
    ["_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R", { parameter: "_security" }],
    ["_source=http://example.org/source", { parameter: "_source", type: "uri" }],
  ])("parses %s on Patient", (text, expected) => {
    expect(parse(text).query.clauses[0]).toMatchObject(expected);
  });

  it.each([
    ["code=http://loinc.org|8480-6", { type: "token", values: [{ system: "http://loinc.org", code: "8480-6" }] }],
    ["date=le2030", { type: "date", values: [{ prefix: "le" }] }],
    ["value-quantity=gt5.4|http://unitsofmeasure.org|mg", { type: "quantity", values: [{ prefix: "gt", value: 5.4, code: "mg" }] }],
    ["subject=Patient/1", { type: "reference" }],
    ["patient=1", { values: [{ type: "reference", id: "1" }] }],
  ])("parses %s on Observation", (text, expected) => {
    expect(parse(text, { resourceTypes: ["Observation"] }).query.clauses[0]).toMatchObject(expected);
  });

  it("parses uri modifiers", () => {
    const { query } = parse("url=http://a.org/vs&url:below=http://a.org/&url:above=http://a.org/vs/1", { resourceTypes: ["ValueSet"] });
    expect(query.clauses.map((clause) => (clause.kind === "parameter" ? clause.modifier : undefined))).toEqual([undefined, "below", "above"]);
  });

  it("parses numbers", () => {
    const { query } = parse("probability=gt0.8", { resourceTypes: ["RiskAssessment"] });
    expect(query.clauses[0]).toMatchObject({ type: "number", values: [{ type: "number", prefix: "gt", value: 0.8, low: 0.75, high: 0.85 }] });
  });

  it("strips the server base from references", () => {
    const { query } = parse("subject=https://flint.example/fhir/Patient/7", { resourceTypes: ["Observation"], baseUrl: "https://flint.example/fhir" });
    expect(query.clauses[0]).toMatchObject({ values: [{ type: "reference", resourceType: "Patient", id: "7" }] });
  });

  it("applies the canonicalize hook to UCUM quantities", () => {
    const canonicalize = (value: number, code: string) => (code === "mg" ? { value: value / 1000, code: "g" } : undefined);
    const { query } = parse("value-quantity=5|http://unitsofmeasure.org|mg", { resourceTypes: ["Observation"], canonicalize });
    expect(query.clauses[0]).toMatchObject({ values: [{ canonical: { code: "g" } }] });
  });

  it("parses composite values component by component", () => {
    const { query } = parse(`code-value-quantity=${encodeURIComponent("http://loinc.org|8480-6$gt100")}`, { resourceTypes: ["Observation"] });
    expect(query.clauses[0]).toEqual({
      kind: "parameter",
      parameter: "code-value-quantity",
      type: "composite",
      values: [
        {
          type: "composite",
          components: [
            { type: "token", system: "http://loinc.org", code: "8480-6" },
            { type: "quantity", prefix: "gt", value: 100, low: 99.5, high: 100.5 },
          ],
        },
      ],
    });
  });

  it("keeps escaped dollars inside a component", () => {
    const value = encodeURIComponent("urn:x|a\\$b$5,urn:x|c$6");
    const { query } = parse(`component-code-value-quantity=${value}`, { resourceTypes: ["Observation"] });
    expect(query.clauses[0]).toMatchObject({
      values: [{ components: [{ code: "a$b" }, { value: 5 }] }, { components: [{ code: "c" }, { value: 6 }] }],
    });
  });
});

describe("parseSearch invalid values", () => {
  it.each([
    ["birthdate=not-a-date", "Patient"],
    ["birthdate=gt", "Patient"],
    ["date=2024-13-01", "Observation"],
    ["probability=high", "RiskAssessment"],
    ["value-quantity=5|mg", "Observation"],
    ["gender=", "Patient"],
    ["gender=male,", "Patient"],
    ["gender=a|b|c", "Patient"],
    ["gender:missing=yes", "Patient"],
    ["name=a\\b", "Patient"],
    ["code-value-quantity=http://loinc.org|8480-6", "Observation"],
    ["code-value-quantity=http://loinc.org|8480-6$gt100$1", "Observation"],
    ["code-value-quantity=$100", "Observation"],
    ["general-practitioner:Practitioner=Organization/1", "Patient"],
    ["general-practitioner:Observation=1", "Patient"],
    ["identifier:of-type=MR|123", "Patient"],
    ["_count=ten", "Patient"],
    ["_count=-1", "Patient"],
    ["_total=all", "Patient"],
    ["_summary=yes", "Patient"],
    ["_elements=name,,gender", "Patient"],
    ["_count=5&_count=6", "Patient"],
  ])("rejects %s on %s, even under lenient handling", (text, resourceType) => {
    for (const handling of ["strict", "lenient"] as const) {
      expect(failure(() => parse(text.replace(/\$/g, "%24"), { resourceTypes: [resourceType], handling })).kind).toBe("invalid");
    }
  });

  it("names the parameter and value", () => {
    const error = failure(() => parse("date=not-a-date", { resourceTypes: ["Observation"], handling: "lenient" }));
    expect(error.status).toBe(400);
    expect(error.message).toContain('"date"');
    expect(error.message).toContain('"not-a-date"');
  });
});

describe("parseSearch unsupported parameters", () => {
  const unsupported = [
    ["unknown=1", "unknown"],
    ["name:foo=x", ":foo"],
    ["name:text=x", ":text"],
    ["gender:in=http://hl7.org/fhir/ValueSet/administrative-gender", ":in"],
    ["gender:not-in=http://example.org/vs", ":not-in"],
    ["gender:above=x", ":above"],
    ["gender:below=x", ":below"],
    ["birthdate:exact=2024", ":exact"],
    ["_contained=true", "_contained"],
    ["_containedType=contained", "_containedType"],
    ["_query=everything", "_query"],
    ["_filter=name eq x", "_filter"],
    ["_text=cough", "_text"],
    ["_content=cough", "_content"],
    ["_list=42", "_list"],
    ["_count:x=5", ":x"],
    ["_include:recurse=Patient:organization", ":recurse"],
    ["general-practitioner=Practitioner/1/_history/2", "version-specific"],
  ];

  it.each(unsupported)("rejects %s under strict handling", (text, named) => {
    const error = failure(() => parse(text));
    expect(error.kind).toBe("not-supported");
    expect(error.status).toBe(400);
    expect(error.message).toContain(named);
  });

  it.each(unsupported)("ignores %s under lenient handling with a warning", (text, named) => {
    const { query, ignored, applied } = parse(`${text}&gender=male`, { handling: "lenient" });
    expect(ignored).toHaveLength(1);
    expect(ignored[0]).toMatchObject({ severity: "warning", code: "not-supported" });
    expect(ignored[0]?.diagnostics).toContain(named);
    expect(query.clauses).toEqual([{ kind: "parameter", parameter: "gender", type: "token", values: [{ type: "token", code: "male" }] }]);
    expect(applied).toEqual([["gender", "male"]]);
  });

  it("rejects special parameters", () => {
    const error = failure(() => parse("near=42.25|-83.69|10|km", { resourceTypes: ["Location"] }));
    expect(error.kind).toBe("not-supported");
    expect(error.message).toContain("near");
  });

  it.each(["code-value-quantity:missing=true", "code-value-quantity:exact=x$1"])("rejects modifier on composite %s", (text) => {
    const error = failure(() => parse(text.replace("$", "%24"), { resourceTypes: ["Observation"] }));
    expect(error.kind).toBe("not-supported");
    expect(error.message).toContain("takes no modifiers");
  });

  it("skips _format and _pretty", () => {
    const { query, ignored, applied } = parse("_format=json&_pretty=true&gender=male");
    expect(query.clauses).toHaveLength(1);
    expect(ignored).toEqual([]);
    expect(applied).toEqual([["gender", "male"]]);
  });
});

describe("parseSearch result parameters", () => {
  it.each([
    ["_count=10", 10],
    ["_count=0", 0],
    ["_count=1000", 1000],
    ["_count=5000", 1000],
  ])("reads %s", (text, count) => {
    expect(parse(text).query.count).toBe(count);
  });

  it("shows the lowered _count in applied", () => {
    expect(parse("_count=5000").applied).toEqual([["_count", "1000"]]);
  });

  it("reads _total, _summary, _elements and _cursor", () => {
    const { query, applied } = parse("_total=accurate&_summary=count&_elements=name,gender&_cursor=opaque-token");
    expect(query).toMatchObject({ total: "accurate", summary: "count", elements: ["name", "gender"], cursor: "opaque-token" });
    expect(applied).toEqual([
      ["_total", "accurate"],
      ["_summary", "count"],
      ["_elements", "name,gender"],
    ]);
  });

  it("reads _sort keys in order", () => {
    const { query, applied } = parse("_sort=-date,code,_lastUpdated", { resourceTypes: ["Observation"] });
    expect(query.sort).toEqual([
      { parameter: "date", descending: true },
      { parameter: "code", descending: false },
      { parameter: "_lastUpdated", descending: false },
    ]);
    expect(applied).toEqual([["_sort", "-date,code,_lastUpdated"]]);
  });

  it("rejects an unknown _sort key under strict handling", () => {
    const error = failure(() => parse("_sort=-date,colour", { resourceTypes: ["Observation"] }));
    expect(error.kind).toBe("not-supported");
    expect(error.message).toContain("colour");
  });

  it("drops an unknown _sort key under lenient handling", () => {
    const { query, ignored, applied } = parse("_sort=colour,-date", { resourceTypes: ["Observation"], handling: "lenient" });
    expect(query.sort).toEqual([{ parameter: "date", descending: true }]);
    expect(ignored).toHaveLength(1);
    expect(ignored[0]?.diagnostics).toContain("colour");
    expect(applied).toEqual([["_sort", "-date"]]);
  });

  it("rejects sorting on a composite parameter", () => {
    expect(failure(() => parse("_sort=code-value-quantity", { resourceTypes: ["Observation"] })).kind).toBe("not-supported");
  });

  it("rejects an empty _sort key", () => {
    expect(failure(() => parse("_sort=date,", { resourceTypes: ["Observation"] })).kind).toBe("invalid");
  });
});

describe("parseSearch includes", () => {
  it.each([
    ["_include=Observation:subject", "include", { source: "Observation", parameter: "subject", iterate: false }],
    ["_include=Observation:subject:Patient", "include", { source: "Observation", parameter: "subject", target: "Patient", iterate: false }],
    ["_include=*", "include", { source: "*", parameter: "*", iterate: false }],
    ["_include=Observation:*", "include", { source: "Observation", parameter: "*", iterate: false }],
    ["_include:iterate=Patient:general-practitioner", "include", { source: "Patient", parameter: "general-practitioner", iterate: true }],
    ["_revinclude=Observation:encounter", "revinclude", { source: "Observation", parameter: "encounter", iterate: false }],
    ["_revinclude=AuditEvent:entity", "revinclude", { source: "AuditEvent", parameter: "entity", iterate: false }],
    ["_revinclude:iterate=PractitionerRole:practitioner", "revinclude", { source: "PractitionerRole", parameter: "practitioner", iterate: true }],
  ] as const)("parses %s", (text, kind, directive) => {
    const { query, applied } = parse(text, { resourceTypes: ["Observation", "Encounter"] });
    expect(query[kind]).toEqual([directive]);
    expect(applied).toHaveLength(1);
  });

  it("keeps several _include in order", () => {
    const { query } = parse("_include=Observation:subject&_include=Observation:encounter", { resourceTypes: ["Observation"] });
    expect(query.include.map((directive) => directive.parameter)).toEqual(["subject", "encounter"]);
  });

  it.each([
    ["_include=Observation", "invalid"],
    ["_include=Observation:subject:Patient:extra", "invalid"],
    ["_include=Observation:code", "invalid"],
    ["_include=Observation:subject:Practitioner", "invalid"],
    ["_include=Patient:organization", "invalid"],
    ["_include=Observation:*:Patient", "invalid"],
    ["_revinclude=RiskAssessment:subject", "invalid"],
    ["_include=Observation:performer", "not-supported"],
    ["_include=Basic:subject", "not-supported"],
  ])("rejects %s as %s", (text, kind) => {
    expect(failure(() => parse(text, { resourceTypes: ["Observation"] })).kind).toBe(kind);
  });
});

describe("parseSearch system level", () => {
  it("searches every type with definitions", () => {
    const { query } = parse("_id=1", { resourceTypes: "all" });
    expect(query.resourceTypes).toContain("Patient");
    expect(query.resourceTypes).toContain("ValueSet");
    expect(query.resourceTypes).not.toContain("Basic");
    expect(query.clauses).toEqual([{ kind: "parameter", parameter: "_id", type: "token", values: [{ type: "token", code: "1" }] }]);
  });

  it("narrows the types with _type", () => {
    const { query, applied } = parse("_type=Patient,Practitioner&name=smith", { resourceTypes: "all" });
    expect(query.resourceTypes).toEqual(["Patient", "Practitioner"]);
    expect(query.clauses).toHaveLength(1);
    expect(applied).toEqual([
      ["_type", "Patient,Practitioner"],
      ["name", "smith"],
    ]);
  });

  it("rejects a parameter that one of the types lacks", () => {
    const error = failure(() => parse("_type=Patient,Observation&gender=male", { resourceTypes: "all" }));
    expect(error.kind).toBe("not-supported");
    expect(error.message).toContain("Observation");
  });

  it("rejects a type-specific parameter without _type", () => {
    expect(failure(() => parse("name=smith", { resourceTypes: "all" })).kind).toBe("not-supported");
  });

  it("rejects a parameter whose type differs between types", () => {
    const definitions = (type: string) => {
      const status = { code: "status", type: type === "Patient" ? "token" : "string", expression: `${type}.status` } as const;
      return type === "Patient" || type === "Practitioner" ? [status] : undefined;
    };
    const error = failure(() => parse("_type=Patient,Practitioner&status=active", { resourceTypes: "all", definitions }));
    expect(error.kind).toBe("not-supported");
    expect(error.message).toContain("differs between Patient and Practitioner");
  });

  it.each(["_type=Patient,Basic", "_type=Patient,", "_type=Patient&_type=Group"])("rejects %s", (text) => {
    expect(failure(() => parse(text, { resourceTypes: "all", handling: "lenient" })).kind).toBe("invalid");
  });

  it("rejects _type at type level under strict handling", () => {
    expect(failure(() => parse("_type=Patient")).kind).toBe("not-supported");
  });

  it("rejects a type that has no definitions", () => {
    expect(failure(() => parse("", { resourceTypes: ["Basic"] })).kind).toBe("not-supported");
  });
});
