import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { FhirResult } from "../support/app.ts";
import { expectStillServing, startApp, type TestApi } from "./harness.ts";

let api: TestApi;
let seedId: string;
beforeAll(async () => {
  ({ api, seedId } = await startApp());
});

/** Runs per property: about 3 s a store on DynamoDB Local and PGlite. */
const RUNS = 150;

/**
 * Seed of this run, shared by every property; fast-check prints it with any counterexample.
 * Set FLINT_FUZZ_SEED to replay a failure.
 */
const SEED = Number(process.env.FLINT_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Checks a response to generated input: no 5xx, and every 4xx carries an OperationOutcome. */
function expectHandled(result: FhirResult, input: string): void {
  expect(result.status, `${input.slice(0, 300)} -> ${result.text.slice(0, 300)}`).toBeLessThan(500);
  if (result.status >= 400) expect(result.json?.resourceType, result.text.slice(0, 300)).toBe("OperationOutcome");
}

/** Sends a request through the app, turning an error thrown out of `app.fetch` into a failure. */
async function send(method: string, path: string, raw?: string, headers: Record<string, string> = {}): Promise<FhirResult> {
  const options = raw === undefined ? { headers } : { raw, headers: { "content-type": "application/fhir+json", ...headers } };
  return api.fhir(method, path, options);
}

const VALID_PATIENT = {
  resourceType: "Patient",
  identifier: [{ system: "urn:example:mrn", value: "F-1" }],
  active: true,
  name: [{ family: "Fuzz", given: ["Ann", "B."] }],
  birthDate: "1980-02-29",
  multipleBirthInteger: 2,
  generalPractitioner: [{ reference: "Practitioner/p1" }],
};

/** Replaces, deletes or duplicates one character of a valid resource's text. */
const mutatedPatient = fc
  .tuple(fc.nat(), fc.constantFrom("replace", "delete", "insert", "duplicate"), fc.string({ unit: "binary", maxLength: 4 }))
  .map(([position, kind, piece]) => {
    const text = JSON.stringify(VALID_PATIENT);
    const at = position % text.length;
    if (kind === "delete") return text.slice(0, at) + text.slice(at + 1);
    if (kind === "insert") return text.slice(0, at) + piece + text.slice(at);
    if (kind === "duplicate") return text.slice(0, at) + text.slice(at, at + 8) + text.slice(at);
    return text.slice(0, at) + piece + text.slice(at + 1);
  });

/** JSON values with FHIR-like keys, including hostile numbers and strings. */
const hostileJson = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(0, -1, 1e308, 2147483648, 0.1, true, false, null, "", "x", "\u0000", "\ud800", "1980-02-30"),
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("resourceType", "id", "name", "family", "given", "active", "value", "extension", "url", "text", "_active"), tie("value"), { maxKeys: 4 }),
  ),
})).value;

describe("fuzzed bodies", () => {
  it("survives arbitrary strings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), async (text) => {
        expectHandled(await send("POST", "/Patient", text), text);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await expectStillServing(api, seedId);
  });

  it("survives mutated resources", async () => {
    await fc.assert(
      fc.asyncProperty(mutatedPatient, fc.constantFrom("POST", "PUT"), async (text, method) => {
        const path = method === "POST" ? "/Patient" : "/Patient/fuzz-target";
        expectHandled(await send(method, path, text), text);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await expectStillServing(api, seedId);
  });

  it("survives generated JSON values", async () => {
    await fc.assert(
      fc.asyncProperty(hostileJson, async (value) => {
        const text = JSON.stringify({ ...(typeof value === "object" && value !== null && !Array.isArray(value) ? value : { value }), resourceType: "Patient" });
        expectHandled(await send("POST", "/Patient", text), text);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await expectStillServing(api, seedId);
  });
});

/** Search parameter names of Patient and Observation, with modifiers, chains and controls. */
const parameterName = fc.oneof(
  fc.constantFrom("name", "family", "birthdate", "gender", "identifier", "general-practitioner", "_id", "_lastUpdated", "_count", "_sort", "_include", "_revinclude", "_summary", "_elements", "_total", "_has", "shoe-size"),
  fc
    .tuple(fc.constantFrom("name", "birthdate", "gender", "identifier", "general-practitioner", "organization"), fc.constantFrom(":exact", ":contains", ":missing", ":not", ":text", ":of-type", ":below", ":above", ":identifier", ":Practitioner", ":bogus", ""), fc.constantFrom("", ".name", ".identifier", ".shoe-size", ":Organization.name"))
    .map(([name, modifier, chain]) => `${name}${modifier}${chain}`),
  fc.constantFrom("_has:Observation:subject:code", "_has:Observation:patient", "_has:Spaceship:x:y", "_has"),
);

const parameterValue = fc.oneof(
  fc.tuple(fc.constantFrom("", "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap", "xx"), fc.constantFrom("2020", "2020-02-30", "2020-01-01T10:00:00Z", "1e400", "-1", "abc", "")).map(([prefix, value]) => `${prefix}${value}`),
  fc.constantFrom("urn:example:mrn|F-1", "|x", "a|b|c", "Patient/1", "Practitioner/", "true", "maybe", "Patient:name", "*", "5||kg", "\\,", "%", "x,y,,"),
  fc.string({ maxLength: 12 }),
);

const queryString = fc
  .array(fc.tuple(parameterName, parameterValue), { minLength: 1, maxLength: 4 })
  .map((pairs) => pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join("&"));

describe("fuzzed search URLs", () => {
  it("survives generated queries", async () => {
    await fc.assert(
      fc.asyncProperty(queryString, fc.constantFrom("lenient", "strict"), fc.constantFrom("Patient", "Observation"), async (query, handling, type) => {
        const result = await send("GET", `/${type}?${query}`, undefined, { prefer: `handling=${handling}` });
        expectHandled(result, query);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await expectStillServing(api, seedId);
  });

  it("survives raw query strings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme-ascii", maxLength: 60 }), async (query) => {
        const path = `/Patient?${query.replace(/#/g, "%23")}`;
        let url: URL;
        try {
          url = new URL(`http://flint.test/fhir${path}`);
        } catch {
          return;
        }
        expectHandled(await send("GET", `${url.pathname.slice("/fhir".length)}${url.search}`), query);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await expectStillServing(api, seedId);
  });
});

const FULL_URLS = ["urn:uuid:11111111-1111-4111-8111-111111111111", "urn:uuid:22222222-2222-4222-8222-222222222222", "http://flint.test/fhir/Patient/p1", "Patient/p2", "urn:oid:1.2.3", "not a url"];

const entryResource = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom<unknown>(
    { resourceType: "Patient", name: [{ family: "Fuzz" }] },
    { resourceType: "Patient", id: "p1" },
    { resourceType: "Observation", status: "final", code: { text: "x" }, subject: { reference: FULL_URLS[0] } },
    { resourceType: "Observation", status: "final", code: { text: "x" }, subject: { reference: "urn:uuid:99999999-9999-4999-8999-999999999999" } },
    { resourceType: "Observation", status: "final", code: { text: "x" }, subject: { reference: "Patient?identifier=urn:example:mrn|F-1" } },
    { resourceType: "Patient", shoeSize: 1 },
    { resourceType: "Bundle", type: "batch", entry: [{ request: { method: "GET", url: "Patient" } }] },
    "Patient",
    [],
  ),
);

const entryRequest = fc.oneof(
  fc.constant(undefined),
  fc.record(
    {
      method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "post", "FETCH", 3),
      url: fc.constantFrom("Patient", "Patient/p1", "Patient/p1/_history/1", "Patient?name=Fuzz", "Patient?birthdate=soon", "Observation", "Spaceship/1", "", "/", "http://flint.test/fhir/Patient/p1", "Patient/a b", "Patient/../x", "$everything"),
      ifMatch: fc.constantFrom(undefined, 'W/"1"', "1", 'W/"x"'),
      ifNoneExist: fc.constantFrom(undefined, "identifier=urn:example:mrn|F-1", "shoe-size=1"),
    },
    { requiredKeys: ["method", "url"] },
  ),
);

const bundleEntry = fc.record({ fullUrl: fc.constantFrom(undefined, ...FULL_URLS), resource: entryResource, request: entryRequest }).map((entry) => JSON.parse(JSON.stringify(entry)) as unknown);

const generatedBundle = fc.record({
  resourceType: fc.constantFrom("Bundle", "Bundle", "Bundle", "Patient"),
  type: fc.constantFrom("batch", "transaction", "transaction", "searchset", "collection", "history", undefined),
  entry: fc.array(bundleEntry, { maxLength: 5 }),
});

describe("fuzzed Bundles", () => {
  it("survives generated batches and transactions", async () => {
    await fc.assert(
      fc.asyncProperty(generatedBundle, async (bundle) => {
        const text = JSON.stringify(bundle);
        const result = await send("POST", "", text);
        expectHandled(result, text);
        if (result.status !== 200) return;
        for (const entry of result.json.entry ?? []) {
          const status = Number(String(entry.response?.status).slice(0, 3));
          expect(status, JSON.stringify(entry).slice(0, 300)).toBeLessThan(500);
          if (status >= 400) expect(entry.response.outcome?.resourceType).toBe("OperationOutcome");
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    await expectStillServing(api, seedId);
  });
});
