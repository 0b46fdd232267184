import { beforeAll, describe, it } from "vitest";
import { expectRejected, MAX_BODY_BYTES, startApp, withBytes, type HostileCase, type TestApi } from "./harness.ts";

let api: TestApi;
let seedId: string;
beforeAll(async () => {
  ({ api, seedId } = await startApp());
});

const JSON_TYPE = { "content-type": "application/fhir+json" };
const DEPTH = 100_000;

/** Builds `{"resourceType":"Patient",` + `member` + `}` as raw text. */
function patientWith(member: string): string {
  return `{"resourceType":"Patient",${member}}`;
}

function observationWith(member: string): string {
  return `{"resourceType":"Observation","status":"final","code":{"text":"weight"},${member}}`;
}

const syntaxCases: HostileCase[] = [
  {
    name: "truncated JSON",
    method: "POST",
    path: "/Patient",
    raw: '{"resourceType":"Patient",',
    headers: JSON_TYPE,
    status: 400,
    problem: /not valid JSON/,
    at: /line 1, column 27/,
  },
  {
    name: "bad literal on line 3",
    method: "POST",
    path: "/Patient",
    raw: '{\n  "resourceType": "Patient",\n  "active": tru\n}',
    headers: JSON_TYPE,
    status: 400,
    problem: /not valid JSON/,
    at: /line 3, column 13/,
  },
  {
    name: "trailing comma",
    method: "POST",
    path: "/Patient",
    raw: '{"resourceType":"Patient","active":true,}',
    headers: JSON_TYPE,
    status: 400,
    problem: /not valid JSON/,
    at: /line 1, column 41/,
  },
  {
    name: "empty body",
    method: "POST",
    path: "/Patient",
    raw: "",
    headers: JSON_TYPE,
    status: 400,
    problem: /empty/,
    at: /request body/,
  },
  {
    name: "arrays nested 100,000 deep",
    method: "POST",
    path: "/Patient",
    raw: patientWith(`"extension":${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`),
    headers: JSON_TYPE,
    status: 400,
    problem: /nested/,
    at: /line 1, column \d+/,
  },
  {
    name: "objects nested 100,000 deep",
    method: "POST",
    path: "/Patient",
    raw: patientWith(`"contact":[${'{"a":'.repeat(DEPTH)}1${"}".repeat(DEPTH)}]`),
    headers: JSON_TYPE,
    status: 400,
    problem: /nested/,
    at: /line 1, column \d+/,
  },
  {
    name: "extensions nested 60,000 deep",
    method: "POST",
    path: "/Patient",
    raw: patientWith(`"extension":[${'{"extension":['.repeat(60_000)}${"]}".repeat(60_000)}]`),
    headers: JSON_TYPE,
    status: 400,
    problem: /nested/,
    at: /line 1, column \d+/,
  },
  {
    name: "raw control character in a string",
    method: "POST",
    path: "/Patient",
    raw: patientWith('"name":[{"family":"Ab\u0001c"}]'),
    headers: JSON_TYPE,
    status: 400,
    problem: /control character/,
    at: /line 1, column 48/,
  },
  {
    name: "invalid UTF-8 byte",
    method: "POST",
    path: "/Patient",
    raw: withBytes(patientWith('"name":[{"family":"@@"}]'), [0xff, 0xfe]),
    headers: JSON_TYPE,
    status: 400,
    problem: /not valid UTF-8/,
    at: /byte offset 45 /,
  },
  {
    name: "overlong UTF-8 encoding",
    method: "POST",
    path: "/Patient",
    raw: withBytes(patientWith('"name":[{"family":"@@"}]'), [0xc0, 0xaf]),
    headers: JSON_TYPE,
    status: 400,
    problem: /not valid UTF-8/,
    at: /byte offset 45 /,
  },
  {
    name: "truncated UTF-8 sequence",
    method: "POST",
    path: "/Patient",
    raw: withBytes(patientWith('"name":[{"family":"x@@"}]'), [0xe2, 0x82]),
    headers: JSON_TYPE,
    status: 400,
    problem: /not valid UTF-8/,
    at: /byte offset 46 /,
  },
  {
    name: "body is an array",
    method: "POST",
    path: "/Patient",
    raw: "[]",
    headers: JSON_TYPE,
    status: 400,
    problem: /JSON object/,
    at: /request body/,
  },
  {
    name: "body is null",
    method: "POST",
    path: "/Patient",
    raw: "null",
    headers: JSON_TYPE,
    status: 400,
    problem: /JSON object/,
    at: /request body/,
  },
];

const duplicateCases: HostileCase[] = [
  {
    name: "duplicate top-level key",
    method: "POST",
    path: "/Patient",
    raw: patientWith('"active":true,"active":false'),
    headers: JSON_TYPE,
    status: 400,
    problem: /"active" appears more than once/,
    at: "Patient.active",
  },
  {
    name: "duplicate nested key",
    method: "POST",
    path: "/Patient",
    raw: patientWith('"name":[{"family":"A"},{"family":"B","family":"C"}]'),
    headers: JSON_TYPE,
    status: 400,
    problem: /"family" appears more than once/,
    at: "Patient.name[1].family",
  },
  {
    name: "duplicate resourceType",
    method: "POST",
    path: "/Patient",
    raw: '{"resourceType":"Observation","resourceType":"Patient"}',
    headers: JSON_TYPE,
    status: 400,
    problem: /"resourceType" appears more than once/,
    at: "Patient.resourceType",
  },
  {
    name: "duplicate key spelled with an escape",
    method: "PUT",
    path: "/Patient/{id}",
    raw: '{"resourceType":"Patient","id":"{id}","gender":"male","\\u0067ender":"female"}',
    headers: JSON_TYPE,
    status: 400,
    problem: /"gender" appears more than once/,
    at: "Patient.gender",
  },
];

const numberCases: HostileCase[] = [
  {
    name: "1e400 in a decimal",
    method: "POST",
    path: "/Observation",
    raw: observationWith('"valueQuantity":{"value":1e400,"unit":"kg"}'),
    headers: JSON_TYPE,
    status: 400,
    problem: /decimal/,
    at: "Observation.valueQuantity.value",
  },
  {
    name: "400 digits in a decimal",
    method: "POST",
    path: "/Observation",
    raw: observationWith(`"valueQuantity":{"value":${"9".repeat(400)},"unit":"kg"}`),
    headers: JSON_TYPE,
    status: 400,
    problem: /decimal/,
    at: "Observation.valueQuantity.value",
  },
  {
    name: "400 digits in an integer",
    method: "POST",
    path: "/Patient",
    raw: patientWith(`"multipleBirthInteger":${"9".repeat(400)}`),
    headers: JSON_TYPE,
    status: 400,
    problem: /integer/,
    at: "Patient.multipleBirthInteger",
  },
  {
    name: "integer past 32 bits",
    method: "POST",
    path: "/Patient",
    raw: patientWith('"multipleBirthInteger":2147483648'),
    headers: JSON_TYPE,
    status: 400,
    problem: /integer/,
    at: "Patient.multipleBirthInteger",
  },
];

const stringCases: HostileCase[] = [
  {
    name: "escaped NUL in a string",
    method: "POST",
    path: "/Patient",
    body: { resourceType: "Patient", name: [{ family: "Ab\u0000c" }] },
    status: 400,
    problem: /control character|invalid/i,
    at: "Patient.name[0].family",
  },
  {
    name: "escaped escape character",
    method: "POST",
    path: "/Patient",
    body: { resourceType: "Patient", name: [{ given: ["x", "\u001b[31mred"] }] },
    status: 400,
    problem: /control character|invalid/i,
    at: "Patient.name[0].given[1]",
  },
  {
    name: "lone surrogate escape",
    method: "POST",
    path: "/Patient",
    raw: patientWith('"name":[{"family":"A\\ud800B"}]'),
    headers: JSON_TYPE,
    status: 400,
    problem: /surrogate/,
    at: "Patient.name[0].family",
  },
  {
    name: "lone surrogate in a key",
    method: "POST",
    path: "/Patient",
    raw: patientWith('"\\udc00":1'),
    headers: JSON_TYPE,
    status: 400,
    problem: /surrogate|unknown/i,
    at: /line 1, column \d+|Patient\./,
  },
];

const typeCases: HostileCase[] = [
  { name: "string for a boolean", method: "POST", path: "/Patient", body: { resourceType: "Patient", active: "true" }, status: 400, problem: /boolean/, at: "Patient.active" },
  { name: "object for an array", method: "POST", path: "/Patient", body: { resourceType: "Patient", name: { family: "A" } }, status: 400, problem: /array/, at: "Patient.name" },
  { name: "string for a string array", method: "POST", path: "/Patient", body: { resourceType: "Patient", name: [{ given: "A" }] }, status: 400, problem: /array/, at: "Patient.name[0].given" },
  { name: "number for a date", method: "POST", path: "/Patient", body: { resourceType: "Patient", birthDate: 19800101 }, status: 400, problem: /string/, at: "Patient.birthDate" },
  { name: "null for a code", method: "POST", path: "/Patient", body: { resourceType: "Patient", gender: null }, status: 400, problem: /null/, at: "Patient.gender" },
  { name: "empty array", method: "POST", path: "/Patient", body: { resourceType: "Patient", name: [] }, status: 400, problem: /empty/, at: "Patient.name" },
  { name: "empty object", method: "POST", path: "/Patient", body: { resourceType: "Patient", name: [{}] }, status: 400, problem: /empty/i, at: "Patient.name[0]" },
  { name: "invalid date", method: "POST", path: "/Patient", body: { resourceType: "Patient", birthDate: "1980-02-30" }, status: 400, problem: /date/, at: "Patient.birthDate" },
  { name: "unknown element", method: "POST", path: "/Patient", body: { resourceType: "Patient", foo: 1 }, status: 400, problem: /foo/, at: "Patient.foo" },
  { name: "unknown nested element", method: "POST", path: "/Patient", body: { resourceType: "Patient", name: [{ nickname: "A" }] }, status: 400, problem: /nickname/, at: "Patient.name[0].nickname" },
  { name: "unknown primitive extension key", method: "POST", path: "/Patient", body: { resourceType: "Patient", _foo: { id: "a" } }, status: 400, problem: /_foo/, at: "Patient._foo" },
  { name: "two choice variants", method: "POST", path: "/Patient", body: { resourceType: "Patient", deceasedBoolean: true, deceasedDateTime: "2020" }, status: 400, problem: /deceased/, at: /deceased/ },
];

const resourceTypeCases: HostileCase[] = [
  { name: "missing resourceType", method: "POST", path: "/Patient", body: { active: true }, status: 400, problem: /no resourceType/, at: "resourceType" },
  { name: "resourceType not matching URL", method: "POST", path: "/Patient", body: { resourceType: "Observation" }, status: 400, problem: /Observation.*Patient/, at: "resourceType" },
  { name: "resourceType not a string", method: "POST", path: "/Patient", body: { resourceType: 5 }, status: 400, problem: /resourceType/, at: "resourceType" },
  { name: "PUT resourceType not matching URL", method: "PUT", path: "/Patient/{id}", body: { resourceType: "Group", id: "{id}" }, status: 400, problem: /Group.*Patient/, at: "resourceType" },
  { name: "unknown type in URL", method: "POST", path: "/Spaceship", body: { resourceType: "Spaceship" }, status: 404, problem: /Spaceship/, at: /Spaceship/ },
];

const sizeCases: HostileCase[] = [
  {
    name: "create body over limit",
    method: "POST",
    path: "/Patient",
    raw: patientWith(`"text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">${"x".repeat(MAX_BODY_BYTES)}</div>"}`),
    headers: JSON_TYPE,
    status: 413,
    problem: /exceeds the limit/,
    at: /request body/,
  },
  {
    name: "update body over limit",
    method: "PUT",
    path: "/Patient/{id}",
    raw: patientWith(`"id":"{id}","name":[{"family":"${"x".repeat(MAX_BODY_BYTES)}"}]`),
    headers: JSON_TYPE,
    status: 413,
    problem: /exceeds the limit/,
    at: /request body/,
  },
  {
    name: "search form over limit",
    method: "POST",
    path: "/Patient/_search",
    raw: `name=${"x".repeat(MAX_BODY_BYTES)}`,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: 413,
    problem: /exceeds the limit/,
    at: /request body/,
  },
];

const idCases: HostileCase[] = [
  { name: "read with invalid id", method: "GET", path: "/Patient/a_b", status: 400, problem: /not a valid id/, at: /"a_b"/ },
  { name: "read with 65-character id", method: "GET", path: `/Patient/${"a".repeat(65)}`, status: 400, problem: /not a valid id/, at: /"a{64}/ },
  { name: "delete with invalid id", method: "DELETE", path: "/Patient/a*b", status: 400, problem: /not a valid id/, at: /"a\*b"/ },
  { name: "vread with invalid version", method: "GET", path: "/Patient/{id}/_history/one", status: 400, problem: /version/, at: /"one"/ },
  { name: "vread with version zero", method: "GET", path: "/Patient/{id}/_history/0", status: 400, problem: /version/, at: /"0"/ },
  { name: "history of invalid id", method: "GET", path: "/Patient/a!b/_history", status: 400, problem: /not a valid id/, at: /"a!b"/ },
  {
    name: "update with invalid id",
    method: "PUT",
    path: "/Patient/a_b",
    body: { resourceType: "Patient", id: "a_b" },
    status: 400,
    problem: /not a valid id/,
    at: /"a_b"/,
  },
  {
    name: "update with mismatched id",
    method: "PUT",
    path: "/Patient/{id}",
    body: { resourceType: "Patient", id: "someone-else" },
    status: 400,
    problem: /someone-else/,
    at: "Patient.id",
  },
  { name: "update without body id", method: "PUT", path: "/Patient/{id}", body: { resourceType: "Patient" }, status: 400, problem: /id/, at: "Patient.id" },
  {
    name: "create with invalid body id",
    method: "POST",
    path: "/Patient",
    body: { resourceType: "Patient", id: "not valid!" },
    status: 400,
    problem: /id/,
    at: "Patient.id",
  },
];

const preconditionCases: HostileCase[] = [
  {
    name: "If-Match without quotes",
    method: "PUT",
    path: "/Patient/{id}",
    headers: { "if-match": "1" },
    body: { resourceType: "Patient", id: "{id}" },
    status: 400,
    problem: /not a version ETag/,
    at: /If-Match/,
  },
  {
    name: "If-Match with letters",
    method: "PUT",
    path: "/Patient/{id}",
    headers: { "if-match": 'W/"abc"' },
    body: { resourceType: "Patient", id: "{id}" },
    status: 400,
    problem: /not a version ETag/,
    at: /If-Match/,
  },
  {
    name: "If-Match with 11 digits",
    method: "DELETE",
    path: "/Patient/{id}",
    headers: { "if-match": 'W/"12345678901"' },
    status: 400,
    problem: /not a version ETag/,
    at: /If-Match/,
  },
  {
    name: "If-Match of version zero",
    method: "PUT",
    path: "/Patient/{id}",
    headers: { "if-match": 'W/"0"' },
    body: { resourceType: "Patient", id: "{id}" },
    status: 412,
    problem: /version/,
    at: /If-Match|W\/"0"/,
  },
  {
    name: "If-None-Exist with unknown parameter",
    method: "POST",
    path: "/Patient",
    headers: { "if-none-exist": "shoe-size=12" },
    body: { resourceType: "Patient" },
    status: 400,
    problem: /shoe-size/,
    at: /If-None-Exist|shoe-size/,
  },
  {
    name: "If-None-Exist with invalid value",
    method: "POST",
    path: "/Patient",
    headers: { "if-none-exist": "birthdate=yesterday" },
    body: { resourceType: "Patient" },
    status: 400,
    problem: /birthdate/,
    at: /birthdate/,
  },
  {
    name: "conditional update with unknown parameter",
    method: "PUT",
    path: "/Patient?shoe-size=12",
    body: { resourceType: "Patient" },
    status: 400,
    problem: /shoe-size/,
    at: /shoe-size/,
  },
  {
    name: "conditional delete with invalid value",
    method: "DELETE",
    path: "/Patient?birthdate=soon",
    status: 400,
    problem: /birthdate/,
    at: /birthdate/,
  },
];

const formatCases: HostileCase[] = [
  { name: "text/plain body", method: "POST", path: "/Patient", raw: '{"resourceType":"Patient"}', headers: { "content-type": "text/plain" }, status: 415, problem: /not supported/, at: /Content-Type/ },
  { name: "XML body", method: "POST", path: "/Patient", raw: '<Patient xmlns="http://hl7.org/fhir"/>', headers: { "content-type": "application/fhir+xml" }, status: 415, problem: /not supported/, at: /Content-Type/ },
  { name: "Latin-1 charset", method: "POST", path: "/Patient", raw: '{"resourceType":"Patient"}', headers: { "content-type": "application/fhir+json; charset=iso-8859-1" }, status: 415, problem: /not supported/, at: /Content-Type/ },
  { name: "other FHIR version", method: "PUT", path: "/Patient/{id}", raw: '{"resourceType":"Patient","id":"{id}"}', headers: { "content-type": "application/fhir+json; fhirVersion=3.0" }, status: 415, problem: /not supported/, at: /Content-Type/ },
  { name: "form body to base", method: "POST", path: "", raw: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 415, problem: /not supported/, at: /Content-Type/ },
  { name: "JSON body to _search", method: "POST", path: "/Patient/_search", raw: '{"name":"x"}', headers: { "content-type": "application/fhir+json" }, status: 415, problem: /needs a body of type/, at: /Content-Type/ },
  { name: "Accept XML on read", method: "GET", path: "/Patient/{id}", headers: { accept: "application/fhir+xml" }, status: 406, problem: /names no supported format/, at: /Accept/ },
  { name: "Accept HTML on create", method: "POST", path: "/Patient", body: { resourceType: "Patient" }, headers: { accept: "text/html", "content-type": "application/fhir+json" }, status: 406, problem: /names no supported format/, at: /Accept/ },
  { name: "_format xml", method: "GET", path: "/Patient/{id}?_format=xml", status: 406, problem: /not supported/, at: /_format/ },
  { name: "Accept other FHIR version", method: "GET", path: "/Patient?name=x", headers: { accept: "application/fhir+json; fhirVersion=3.0" }, status: 406, problem: /names no supported format/, at: /Accept/ },
];

describe.each([
  ["JSON syntax", syntaxCases],
  ["duplicate keys", duplicateCases],
  ["numbers", numberCases],
  ["strings", stringCases],
  ["element types", typeCases],
  ["resourceType", resourceTypeCases],
  ["body size", sizeCases],
  ["ids", idCases],
  ["preconditions", preconditionCases],
  ["formats", formatCases],
])("hostile %s", (_group, cases) => {
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))("rejects %s", async (_name, testCase) => {
    await expectRejected(api, seedId, { ...testCase, raw: fillId(testCase.raw), body: fillIdInBody(testCase.body) });
  });
});

function fillId(raw: HostileCase["raw"]): HostileCase["raw"] {
  return typeof raw === "string" ? raw.replaceAll("{id}", seedId) : raw;
}

function fillIdInBody(body: unknown): unknown {
  return body === undefined ? undefined : JSON.parse(JSON.stringify(body).replaceAll("{id}", seedId));
}
