import { beforeAll, describe, expect, it } from "vitest";
import { expectIssue, expectNothingWritten, expectRejected, expectStillServing, settleClock, startApp, type HostileCase, type TestApi } from "./harness.ts";

let api: TestApi;
let seedId: string;
beforeAll(async () => {
  ({ api, seedId } = await startApp());
});

const STRICT = { prefer: "handling=strict" };

/** Escapes text for use inside a RegExp. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** A GET search that must be rejected with 400 by an issue saying `problem` and naming `parameter`. */
function badSearch(name: string, query: string, parameter: string, problem: RegExp, headers: Record<string, string> = {}): HostileCase {
  return { name, method: "GET", path: `/${query}`, headers, status: 400, problem, at: literal(parameter) };
}

const INVALID = /invalid value|is not/;
const UNSUPPORTED = /not supported|has no search parameter|has the search parameter|not a resource type|not a reference|is incomplete|Cannot sort/;

const valueCases: HostileCase[] = [
  badSearch("date that is not a date", "Patient?birthdate=notadate", "birthdate", INVALID),
  badSearch("unknown date prefix", "Patient?birthdate=xx2020-01-01", "birthdate", INVALID),
  badSearch("impossible calendar date", "Patient?birthdate=2020-13-45", "birthdate", INVALID),
  badSearch("prefix without a value", "Patient?_lastUpdated=gt", "_lastUpdated", INVALID),
  badSearch("number that is not a number", "RiskAssessment?probability=abc", "probability", INVALID),
  badSearch("number out of range", "RiskAssessment?probability=1e400", "probability", INVALID),
  badSearch("quantity that is not a number", "Observation?value-quantity=abc", "value-quantity", INVALID),
  badSearch("missing that is not boolean", "Patient?gender:missing=maybe", "gender:missing", INVALID),
  badSearch("composite without a separator", "Observation?code-value-quantity=abc", "code-value-quantity", INVALID),
  badSearch("negative _count", "Patient?_count=-1", "_count", INVALID),
  badSearch("_count that is not a number", "Patient?_count=ten", "_count", INVALID),
  badSearch("unknown _summary", "Patient?_summary=bogus", "_summary", INVALID),
  badSearch("unknown _total", "Patient?_total=bogus", "_total", INVALID),
  badSearch("history _since not a date", "Patient/_history?_since=yesterday", "_since", INVALID),
  badSearch("history _count not a number", "_history?_count=many", "_count", INVALID),
];

const strictCases: HostileCase[] = [
  badSearch("unknown parameter", "Patient?shoe-size=12", "shoe-size", UNSUPPORTED, STRICT),
  badSearch("unknown modifier", "Patient?name:sounds-like=x", ":sounds-like", UNSUPPORTED, STRICT),
  badSearch("modifier wrong for type", "Patient?birthdate:exact=2020", ":exact", UNSUPPORTED, STRICT),
  badSearch("chain through unknown parameter", "Patient?general-practitioner.shoe-size=1", "general-practitioner.shoe-size", UNSUPPORTED, STRICT),
  badSearch("chain on a string parameter", "Patient?name.family=x", "name.family", UNSUPPORTED, STRICT),
  badSearch("chain to unknown type", "Observation?subject:Spaceship.name=x", "Spaceship", UNSUPPORTED, STRICT),
  badSearch("_has without parameter", "Patient?_has:Observation=x", "_has:Observation", UNSUPPORTED, STRICT),
  badSearch("_include of unknown parameter", "Patient?_include=Patient:shoe-size", "_include \"Patient:shoe-size\"", UNSUPPORTED, STRICT),
  badSearch("_sort by unknown parameter", "Patient?_sort=shoe-size", "sort by \"shoe-size\"", UNSUPPORTED, STRICT),
];

describe.each([
  ["search values", valueCases],
  ["strict search", strictCases],
])("hostile %s", (_group, cases) => {
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))("rejects %s", async (_name, testCase) => {
    await expectRejected(api, seedId, testCase);
  });
});

describe("lenient search", () => {
  it.each([
    ["unknown parameter", "Patient?shoe-size=12&name=Seed", "shoe-size"],
    ["unknown modifier", "Patient?name:sounds-like=x&name=Seed", ":sounds-like"],
    ["chain through unknown parameter", "Patient?general-practitioner.shoe-size=1&name=Seed", "general-practitioner.shoe-size"],
  ])("reports ignored %s", async (_name, query, parameter) => {
    await settleClock();
    const since = new Date().toISOString();

    const result = await api.fhir("GET", `/${query}`, { headers: { prefer: "handling=lenient" } });

    expect(result.status, result.text.slice(0, 500)).toBe(200);
    const outcome = (result.json.entry ?? []).find((entry: any) => entry.search?.mode === "outcome")?.resource;
    expect(outcome?.resourceType, "outcome entry").toBe("OperationOutcome");
    expectIssue(outcome, /ignored/, literal(parameter));
    const matches = (result.json.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id);
    expect(matches).toEqual([seedId]);
    await expectNothingWritten(api, since);
    await expectStillServing(api, seedId);
  });
});
