import { beforeAll, describe, expect, it } from "vitest";
import { expectIssue, expectNothingWritten, expectRejected, expectStillServing, settleClock, startApp, type HostileCase, type TestApi } from "./harness.ts";

let api: TestApi;
let seedId: string;
beforeAll(async () => {
  ({ api, seedId } = await startApp());
});

const PATIENT_A = "urn:uuid:0c4d9e4e-61a1-4a2f-8d3a-6f0f6c1c0a01";
const PATIENT_B = "urn:uuid:0c4d9e4e-61a1-4a2f-8d3a-6f0f6c1c0a02";
const MISSING = "urn:uuid:0c4d9e4e-61a1-4a2f-8d3a-6f0f6c1c0aff";

const createPatient = { fullUrl: PATIENT_A, resource: { resourceType: "Patient", name: [{ family: "Bundled" }] }, request: { method: "POST", url: "Patient" } };

function transaction(...entry: unknown[]) {
  return { resourceType: "Bundle", type: "transaction", entry };
}

function rejectedTransaction(name: string, entries: unknown[], problem: RegExp, at: string | RegExp, status = 400): HostileCase {
  return { name, method: "POST", path: "", body: transaction(createPatient, ...entries), status, problem, at };
}

const transactionCases: HostileCase[] = [
  rejectedTransaction("duplicate fullUrl", [{ ...createPatient }], /also used by entry 0/, "Bundle.entry[1].fullUrl"),
  rejectedTransaction(
    "dangling urn:uuid reference",
    [{ fullUrl: PATIENT_B, resource: { resourceType: "Observation", status: "final", code: { text: "x" }, subject: { reference: MISSING } }, request: { method: "POST", url: "Observation" } }],
    /urn:uuid/,
    "Bundle.entry[1].resource.subject.reference",
  ),
  rejectedTransaction("entry without request", [{ resource: { resourceType: "Patient" } }], /no request/, "Bundle.entry[1].request"),
  rejectedTransaction("unknown method", [{ resource: { resourceType: "Patient" }, request: { method: "FETCH", url: "Patient" } }], /request.method/, "Bundle.entry[1].request.method"),
  rejectedTransaction("lower-case method", [{ resource: { resourceType: "Patient" }, request: { method: "post", url: "Patient" } }], /request.method/, "Bundle.entry[1].request.method"),
  rejectedTransaction("unknown type in url", [{ resource: { resourceType: "Patient" }, request: { method: "POST", url: "Spaceship" } }], /Spaceship/, "Bundle.entry[1].request.url"),
  rejectedTransaction("url on another server", [{ request: { method: "DELETE", url: "http://other.example/fhir/Patient/x" } }], /other\.example|not a FHIR R4 resource type|not a URL/, "Bundle.entry[1].request.url"),
  rejectedTransaction("path traversal in url", [{ request: { method: "DELETE", url: "Patient/../Observation/1" } }], /not a valid id|not a URL/, "Bundle.entry[1].request.url"),
  rejectedTransaction("invalid id in url", [{ request: { method: "GET", url: "Patient/a b" } }], /not a valid id/, "Bundle.entry[1].request.url"),
  rejectedTransaction("PUT without id", [{ resource: { resourceType: "Patient" }, request: { method: "PUT", url: "Patient" } }], /PUT does not take/, "Bundle.entry[1].request.url"),
  rejectedTransaction("POST without resource", [{ request: { method: "POST", url: "Patient" } }], /needs a resource/, "Bundle.entry[1].resource"),
  rejectedTransaction("resource type not matching url", [{ resource: { resourceType: "Observation" }, request: { method: "POST", url: "Patient" } }], /Observation but request.url names Patient/, "Bundle.entry[1].resource.resourceType"),
  rejectedTransaction(
    "PUT id not matching url",
    [{ resource: { resourceType: "Patient", id: "other" }, request: { method: "PUT", url: "Patient/bundle-put" } }],
    /other/,
    "Bundle.entry[1].resource.id",
  ),
  rejectedTransaction("invalid resource", [{ resource: { resourceType: "Patient", shoeSize: 12 }, request: { method: "POST", url: "Patient" } }], /shoeSize/, /shoeSize/),
  rejectedTransaction("invalid ifMatch", [{ resource: { resourceType: "Patient", id: "{id}" }, request: { method: "PUT", url: "Patient/{id}", ifMatch: "3" } }], /not a version ETag/, /If-Match|ifMatch/),
  rejectedTransaction("invalid search in GET", [{ request: { method: "GET", url: "Patient?birthdate=soon" } }], /birthdate/, /birthdate/),
  rejectedTransaction("two writes to one resource", [{ resource: { resourceType: "Patient", id: "twice" }, request: { method: "PUT", url: "Patient/twice" } }, { request: { method: "DELETE", url: "Patient/twice" } }], /Patient\/twice/, /Patient\/twice/),
  rejectedTransaction("nested Bundle", [{ resource: { resourceType: "Bundle", type: "batch" }, request: { method: "POST", url: "" } }], /Bundle|nested/, /Bundle/),
];

const shapeCases: HostileCase[] = [
  { name: "searchset to base", method: "POST", path: "", body: { resourceType: "Bundle", type: "searchset" }, status: 400, problem: /searchset/, at: "Bundle.type" },
  { name: "collection to base", method: "POST", path: "", body: { resourceType: "Bundle", type: "collection", entry: [{ resource: { resourceType: "Patient" } }] }, status: 400, problem: /collection/, at: "Bundle.type" },
  { name: "history to base", method: "POST", path: "", body: { resourceType: "Bundle", type: "history" }, status: 400, problem: /history/, at: "Bundle.type" },
  { name: "Bundle without type", method: "POST", path: "", body: { resourceType: "Bundle", entry: [] }, status: 400, problem: /Bundle.type/, at: "Bundle.type" },
  { name: "Patient to base", method: "POST", path: "", body: { resourceType: "Patient" }, status: 400, problem: /Bundle/, at: "Bundle" },
  { name: "entry not an array", method: "POST", path: "", body: { resourceType: "Bundle", type: "batch", entry: { request: { method: "GET", url: "Patient" } } }, status: 400, problem: /array/, at: "Bundle.entry" },
  { name: "duplicate key in an entry", method: "POST", path: "", raw: '{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Patient","active":true,"active":false},"request":{"method":"POST","url":"Patient"}}]}', headers: { "content-type": "application/fhir+json" }, status: 400, problem: /"active" appears more than once/, at: "Bundle.entry[0].resource.active" },
  {
    name: "more than 10,000 entries",
    method: "POST",
    path: "",
    body: { resourceType: "Bundle", type: "batch", entry: Array.from({ length: 10_001 }, () => ({ request: { method: "GET", url: "Patient" } })) },
    status: 413,
    problem: /10001 entries/,
    at: /at most 10000/,
  },
];

describe.each([
  ["transactions", transactionCases],
  ["Bundle shapes", shapeCases],
])("hostile %s", (_group, cases) => {
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))("rejects %s", async (_name, testCase) => {
    const body = testCase.body === undefined ? undefined : JSON.parse(JSON.stringify(testCase.body).replaceAll("{id}", seedId));
    await expectRejected(api, seedId, { ...testCase, body });
  });
});

/** Batch entries that must fail alone, with the place of the problem in their own outcome. */
const batchEntries: Array<[string, unknown, RegExp, string | RegExp]> = [
  ["entry without request", { resource: { resourceType: "Patient" } }, /no request/, "Bundle.entry[1].request"],
  ["unknown method", { request: { method: "FETCH", url: "Patient" } }, /request.method/, "Bundle.entry[1].request.method"],
  ["invalid id in url", { request: { method: "GET", url: "Patient/a b" } }, /not a valid id/, "Bundle.entry[1].request.url"],
  ["invalid resource", { resource: { resourceType: "Patient", shoeSize: 12 }, request: { method: "POST", url: "Patient" } }, /shoeSize/, /shoeSize/],
  ["invalid search", { request: { method: "GET", url: "Patient?birthdate=soon" } }, /birthdate/, /birthdate/],
  ["invalid ifMatch", { resource: { resourceType: "Patient", id: "{id}" }, request: { method: "PUT", url: "Patient/{id}", ifMatch: "W/\"x\"" } }, /not a version ETag/, /If-Match|ifMatch/],
  ["entry that is a string", "Patient", /JSON object/, "Bundle.entry[1]"],
];

describe("hostile batch entries", () => {
  it.each(batchEntries)("rejects %s alone", async (_name, entry, problem, at) => {
    await settleClock();
    const since = new Date().toISOString();
    const read = { request: { method: "GET", url: `Patient/${seedId}` } };
    const bad = JSON.parse(JSON.stringify(entry).replaceAll("{id}", seedId));

    const result = await api.fhir("POST", "", { body: { resourceType: "Bundle", type: "batch", entry: [read, bad] } });

    expect(result.status, result.text.slice(0, 500)).toBe(200);
    expect(result.json.entry[0].response.status).toMatch(/^200/);
    expect(result.json.entry[1].response.status).toMatch(/^4\d\d/);
    expectIssue(result.json.entry[1].response.outcome, problem, at);
    await expectNothingWritten(api, since);
    await expectStillServing(api, seedId);
  });
});
