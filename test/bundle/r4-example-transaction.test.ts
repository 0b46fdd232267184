import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type FhirResult } from "../support/app.ts";
import { fixtureFolder } from "../support/fixtures.ts";

const folder = fixtureFolder("fhir-r4-spec-examples/examples", "R4 example transaction tests");

/** The example's own identifier system, with its single slash after `http:`. */
const EXAMPLE_IDS = "http:/example.org/fhir/ids";

type Api = Awaited<ReturnType<typeof createTestApp>>;

function loadExample(): any {
  return JSON.parse(readFileSync(path.join(folder!, "Bundle-bundle-transaction.json"), "utf8"));
}

/** Reads the 3-digit HTTP code at the start of a response entry's `response.status`. */
function statusOf(entry: any): number {
  return Number(/^(\d{3})/.exec(entry?.response?.status ?? "")?.[1]);
}

/** Splits a relative or absolute `[type]/[id]/_history/[vid]` location. */
function parseLocation(location: string | undefined) {
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/(\d+)$/.exec(location ?? "");
  return match === null ? undefined : { type: match[1], id: match[2], versionId: match[3] };
}

async function searchIds(api: Api, query: string): Promise<string[]> {
  const result = await api.fhir("GET", `/Patient?${query}`);
  expect(result.status, `GET Patient?${query}`).toBe(200);
  return (result.json.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id);
}

async function patientHistorySize(api: Api): Promise<number> {
  const history = await api.fhir("GET", "/Patient/_history?_count=1000");
  expect(history.status).toBe(200);
  return (history.json.entry ?? []).length;
}

async function putPatient(api: Api, id: string, versions: number): Promise<void> {
  for (let version = 1; version <= versions; version++) {
    const result = await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, active: version % 2 === 1 } });
    expect(result.status, result.text).toBeLessThan(300);
  }
}

describe.skipIf(folder === undefined)("R4 example transaction", () => {
  it("rejects the $lookup entry as sent", async () => {
    const api = await createTestApp();
    const example = loadExample();
    const operation = example.entry.findIndex((entry: any) => entry.request.url.includes("$lookup"));
    expect(operation, "the example has a ValueSet/$lookup entry").toBeGreaterThanOrEqual(0);

    const result = await api.fhir("POST", "", { body: example });

    expect(result.status, result.text).toBeGreaterThanOrEqual(400);
    expect(result.status, result.text).toBeLessThan(500);
    expect(result.json.resourceType).toBe("OperationOutcome");
    const expressions: string[] = result.json.issue.flatMap((issue: { expression?: string[] }) => issue.expression ?? []);
    expect(expressions, result.text).toContainEqual(expect.stringMatching(new RegExp(`^Bundle\\.entry\\[${operation}\\]`)));
    expect(await patientHistorySize(api), "nothing may be written").toBe(0);
    expect((await api.fhir("GET", "/Patient/123")).status).toBe(404);
  });

  describe("without unsupported entries", () => {
    let api: Api;
    let entries: any[];
    let result: FhirResult;
    let deletedByIdentifier: string;

    beforeAll(async () => {
      api = await createTestApp();
      await putPatient(api, "123a", 2);
      await putPatient(api, "234", 1);
      await putPatient(api, "12334", 4);
      const target = await api.createResource({ resourceType: "Patient", identifier: [{ system: "urn:example:ids", value: "123456" }] });
      deletedByIdentifier = target.id;

      entries = loadExample()
        .entry.filter((entry: any) => !entry.request.url.includes("$"))
        .map((entry: any) => (entry.request.url === "Patient?name=peter" ? { request: { method: "GET", url: `Patient?identifier=${EXAMPLE_IDS}|234234` } } : entry));
      result = await api.fhir("POST", "", { body: { resourceType: "Bundle", type: "transaction", entry: entries } });
    });

    it("commits with one response per entry", () => {
      expect(entries).toHaveLength(9);
      expect(result.status, result.text).toBe(200);
      expect(result.json.type).toBe("transaction-response");
      expect(result.json.entry).toHaveLength(9);
    });

    it("plain POST creates Patient", async () => {
      const entry = result.json.entry[0];
      expect(statusOf(entry)).toBe(201);
      const location = parseLocation(entry.response.location);
      expect(location?.versionId).toBe("1");
      const read = await api.fhir("GET", `/Patient/${location?.id}`);
      expect(read.json.name[0].family).toBe("Chalmers");
    });

    it("conditional create creates Patient", async () => {
      const entry = result.json.entry[1];
      expect(statusOf(entry)).toBe(201);
      expect(await searchIds(api, `identifier=${EXAMPLE_IDS}|234234`)).toEqual([parseLocation(entry.response.location)?.id]);
    });

    it("creates Patient/123 by PUT", async () => {
      const entry = result.json.entry[2];
      expect(statusOf(entry)).toBe(201);
      expect(parseLocation(entry.response.location)).toEqual({ type: "Patient", id: "123", versionId: "1" });
      expect((await api.fhir("GET", "/Patient/123")).status).toBe(200);
    });

    it("creates by conditional update", async () => {
      const entry = result.json.entry[3];
      expect(statusOf(entry)).toBe(201);
      expect(await searchIds(api, `identifier=${EXAMPLE_IDS}|456456`)).toEqual([parseLocation(entry.response.location)?.id]);
    });

    it("updates Patient/123a at ifMatch 2", async () => {
      const entry = result.json.entry[4];
      expect(statusOf(entry)).toBe(200);
      expect(parseLocation(entry.response.location)).toEqual({ type: "Patient", id: "123a", versionId: "3" });
      const read = await api.fhir("GET", "/Patient/123a");
      expect(read.json.meta.versionId).toBe("3");
      expect(read.json.name[0].family).toBe("Chalmers");
    });

    it("deletes Patient/234", async () => {
      expect([200, 204]).toContain(statusOf(result.json.entry[5]));
      expect((await api.fhir("GET", "/Patient/234")).status).toBe(410);
    });

    it("deletes by identifier 123456", async () => {
      expect([200, 204]).toContain(statusOf(result.json.entry[6]));
      expect((await api.fhir("GET", `/Patient/${deletedByIdentifier}`)).status).toBe(410);
      expect(await searchIds(api, "identifier=123456")).toEqual([]);
    });

    it("search GET sees the writes", () => {
      const entry = result.json.entry[7];
      expect(statusOf(entry)).toBe(200);
      expect(entry.resource.type).toBe("searchset");
      const ids = entry.resource.entry.filter((match: any) => match.search?.mode === "match").map((match: any) => match.resource.id);
      expect(ids).toEqual([parseLocation(result.json.entry[1].response.location)?.id]);
    });

    it("answers ifNoneMatch with 304", () => {
      const entry = result.json.entry[8];
      expect(statusOf(entry), "If-None-Match takes precedence over If-Modified-Since").toBe(304);
      expect(entry.response.etag).toBe('W/"4"');
      expect(entry.resource).toBeUndefined();
    });

    it("replay fails on stale ifMatch", async () => {
      const before = await patientHistorySize(api);

      const replay = await api.fhir("POST", "", { body: { resourceType: "Bundle", type: "transaction", entry: entries } });

      expect(replay.status, replay.text).toBe(412);
      expect(replay.json.resourceType).toBe("OperationOutcome");
      expect(await patientHistorySize(api), "nothing may be written").toBe(before);
      expect((await api.fhir("GET", "/Patient/123")).json.meta.versionId).toBe("1");
      expect((await api.fhir("GET", "/Patient/123a")).json.meta.versionId).toBe("3");
    });
  });
});
