import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, issueCodes, type FhirResult } from "../support/app.ts";

/** Request body limit of this suite's app. The Binary cases send bodies just below and above it. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp({ maxBodyBytes: MAX_BODY_BYTES });
});

/** Suffix that keeps this run's identifiers apart from any other data in the table. */
const run = crypto.randomUUID().slice(0, 8);

function postBundle(bundle: object): Promise<FhirResult> {
  return api.fhir("POST", "", { body: bundle });
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

function idOf(entry: any): string {
  const location = parseLocation(entry?.response?.location);
  if (location === undefined) throw new Error(`response entry has no version location: ${JSON.stringify(entry)}`);
  return location.id!;
}

async function searchIds(type: string, query: string): Promise<string[]> {
  const result = await api.fhir("GET", `/${type}?${query}`);
  expect(result.status, `GET ${type}?${query}`).toBe(200);
  return (result.json.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id);
}

describe("bundle behaviour cases", () => {
  it("transaction deletes are idempotent", async () => {
    const patient = await api.createResource({ resourceType: "Patient", name: [{ family: "Delprobe" }] });
    expect([200, 204]).toContain((await api.fhir("DELETE", `/Patient/${patient.id}`)).status);

    const result = await postBundle({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { request: { method: "DELETE", url: `Patient/${patient.id}` } },
        { request: { method: "DELETE", url: `Patient/${patient.id}-other-unknown` } },
      ],
    });

    expect(result.status, result.text).toBe(200);
    expect([200, 204], "delete of a deleted resource").toContain(statusOf(result.json.entry[0]));
    expect([200, 204], "delete of an unknown resource").toContain(statusOf(result.json.entry[1]));
    expect((await api.fhir("GET", `/Patient/${patient.id}`)).status).toBe(410);
  });

  it("transaction PUT revives deleted resource", async () => {
    const patient = await api.createResource({ resourceType: "Patient", name: [{ family: "Delprobe" }] });
    expect([200, 204]).toContain((await api.fhir("DELETE", `/Patient/${patient.id}`)).status);

    const result = await postBundle({
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ resource: { resourceType: "Patient", id: patient.id, name: [{ family: "Delprobe" }] }, request: { method: "PUT", url: `Patient/${patient.id}` } }],
    });

    expect(result.status, result.text).toBe(200);
    expect([200, 201]).toContain(statusOf(result.json.entry[0]));
    expect(parseLocation(result.json.entry[0].response.location)?.versionId).toBe("3");
    const read = await api.fhir("GET", `/Patient/${patient.id}`);
    expect(read.status).toBe(200);
    expect(read.json.meta.versionId).toBe("3");
  });

  it("transaction ifMatch prevents lost update", async () => {
    const patient = await api.createResource({ resourceType: "Patient", active: true });
    const update = await api.fhir("PUT", `/Patient/${patient.id}`, { body: { resourceType: "Patient", id: patient.id, active: false }, headers: { "if-match": 'W/"1"' } });
    expect(update.status).toBe(200);

    const result = await postBundle({
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ resource: { resourceType: "Patient", id: patient.id, active: true }, request: { method: "PUT", url: `Patient/${patient.id}`, ifMatch: 'W/"1"' } }],
    });

    expect(result.status, result.text).toBe(412);
    expect(result.json.resourceType).toBe("OperationOutcome");
    const read = await api.fhir("GET", `/Patient/${patient.id}`);
    expect(read.json.meta.versionId).toBe("2");
    expect(read.json.active).toBe(false);
  });

  it("parallel conditional creates make one resource", async () => {
    const identifier = { system: "urn:example:mrn", value: `RACE-0001-${run}` };
    const criteria = `identifier=urn:example:mrn|${identifier.value}`;
    const create = () => api.fhir("POST", "/Patient", { body: { resourceType: "Patient", identifier: [identifier] }, headers: { "if-none-exist": criteria } });

    const results = await Promise.all(Array.from({ length: 12 }, create));

    const statuses = results.map((result) => result.status);
    const created = results.filter((result) => result.status === 201);
    expect(created, `statuses ${statuses.join(", ")}`).toHaveLength(1);
    for (const status of statuses) expect([200, 201, 409, 412]).toContain(status);
    const createdId = created[0]?.json.id;
    for (const result of results.filter((other) => other.status === 200)) expect(result.json.id, "a 200 returns the one match").toBe(createdId);
    expect(await searchIds("Patient", criteria)).toEqual([createdId]);

    const again = await create();
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(createdId);
  });

  it("parallel conditional updates make one resource", async () => {
    const identifier = { system: "urn:example:mrn", value: `RACE-0002-${run}` };
    const criteria = `identifier=urn:example:mrn|${identifier.value}`;
    const update = (index: number) =>
      api.fhir("PUT", `/Patient?${criteria}`, { body: { resourceType: "Patient", identifier: [identifier], name: [{ family: `Racer${index}` }] } });

    const results = await Promise.all(Array.from({ length: 12 }, (_, index) => update(index)));

    const statuses = results.map((result) => result.status);
    expect(statuses.filter((status) => status === 201), `statuses ${statuses.join(", ")}`).toHaveLength(1);
    for (const status of statuses) expect([200, 201, 409, 412]).toContain(status);
    const matches = await searchIds("Patient", criteria);
    expect(matches).toHaveLength(1);
    const read = await api.fhir("GET", `/Patient/${matches[0]}`);
    const written = statuses.filter((status) => status === 200 || status === 201).length;
    expect(read.json.meta.versionId, "every 200 or 201 wrote its own version").toBe(String(written));
  });

  it("parallel transaction conditional creates make one", async () => {
    const identifier = { system: "urn:example:mrn", value: `RACE-0003-${run}` };
    const criteria = `identifier=urn:example:mrn|${identifier.value}`;
    const send = () =>
      postBundle({
        resourceType: "Bundle",
        type: "transaction",
        entry: [{ resource: { resourceType: "Patient", identifier: [identifier] }, request: { method: "POST", url: "Patient", ifNoneExist: criteria } }],
      });

    const results = await Promise.all(Array.from({ length: 8 }, send));

    const statuses = results.map((result) => (result.status === 200 ? statusOf(result.json.entry[0]) : result.status));
    expect(statuses.filter((status) => status === 201), `statuses ${statuses.join(", ")}`).toHaveLength(1);
    for (const status of statuses) expect([200, 201, 409, 412]).toContain(status);
    expect(await searchIds("Patient", criteria)).toHaveLength(1);
  });

  it("conditional update entry resolves urn:uuid", async () => {
    const patientUrn = `urn:uuid:${crypto.randomUUID()}`;
    const criteria = `identifier=urn:example:mrn|TX-0023-${run}`;
    const bundle = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: patientUrn,
          resource: { resourceType: "Patient", identifier: [{ system: "urn:example:mrn", value: `TX-0023-${run}` }] },
          request: { method: "PUT", url: `Patient?${criteria}` },
        },
        {
          fullUrl: `urn:uuid:${crypto.randomUUID()}`,
          resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, subject: { reference: patientUrn } },
          request: { method: "POST", url: "Observation" },
        },
      ],
    };

    const first = await postBundle(bundle);
    const second = await postBundle(bundle);

    expect(first.status, first.text).toBe(200);
    expect(second.status, second.text).toBe(200);
    const patientId = idOf(first.json.entry[0]);
    expect(statusOf(first.json.entry[0])).toBe(201);
    expect(statusOf(second.json.entry[0])).toBe(200);
    expect(parseLocation(second.json.entry[0].response.location)).toEqual({ type: "Patient", id: patientId, versionId: "2" });
    expect(await searchIds("Patient", criteria)).toEqual([patientId]);
    for (const response of [first, second]) {
      const observation = await api.fhir("GET", `/Observation/${idOf(response.json.entry[1])}`);
      expect(observation.json.subject.reference).toBe(`Patient/${patientId}`);
    }
  });

  it("matched conditional create keeps references valid", async () => {
    const organizationUrn = `urn:uuid:${crypto.randomUUID()}`;
    const criteria = `identifier=urn:example:org|ORG-24-${run}`;
    const bundle = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: organizationUrn,
          resource: { resourceType: "Organization", identifier: [{ system: "urn:example:org", value: `ORG-24-${run}` }], name: "Probe Sponsor" },
          request: { method: "POST", url: "Organization", ifNoneExist: criteria },
        },
        { resource: { resourceType: "ResearchStudy", status: "active", sponsor: { reference: organizationUrn } }, request: { method: "POST", url: "ResearchStudy" } },
        {
          resource: { resourceType: "ResearchStudy", status: "active", sponsor: { reference: `Organization?${criteria}` } },
          request: { method: "POST", url: "ResearchStudy" },
        },
      ],
    };

    const first = await postBundle(bundle);
    expect(first.status, first.text).toBe(200);
    const organizationId = idOf(first.json.entry[0]);

    const second = await postBundle(bundle);

    expect(second.status, second.text).toBe(200);
    expect(statusOf(second.json.entry[0])).toBe(200);
    expect(idOf(second.json.entry[0]), "the existing Organization").toBe(organizationId);
    for (const index of [1, 2]) {
      expect(statusOf(second.json.entry[index])).toBe(201);
      const study = await api.fhir("GET", `/ResearchStudy/${idOf(second.json.entry[index])}`);
      expect(study.json.sponsor.reference, `entry ${index}`).toBe(`Organization/${organizationId}`);
    }
    expect((await api.fhir("GET", `/Organization/${organizationId}`)).status).toBe(200);
    expect(await searchIds("Organization", criteria)).toEqual([organizationId]);
  });

  it("invalid entry rolls back the transaction", async () => {
    const identifier = { system: "urn:example:org", value: `ATOMIC-${run}` };
    const inner = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: { resourceType: "Organization", identifier: [identifier], name: "Atomic-Probe-OK" }, request: { method: "POST", url: "Organization" } },
        { resource: { resourceType: "Organization", name: { not: "a string" } }, request: { method: "POST", url: "Organization" } },
      ],
    };

    const direct = await postBundle(inner);

    expect([400, 422]).toContain(direct.status);
    expect(direct.json.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Organization", `identifier=urn:example:org|${identifier.value}`)).toEqual([]);

    const nested = await postBundle({ resourceType: "Bundle", type: "batch", entry: [{ resource: inner, request: { method: "POST", url: "" } }] });

    expect(nested.status, nested.text).toBe(200);
    expect(nested.json.type).toBe("batch-response");
    expect([400, 422]).toContain(statusOf(nested.json.entry[0]));
    expect(nested.json.entry[0].response.outcome?.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Organization", `identifier=urn:example:org|${identifier.value}`)).toEqual([]);
  });

  it("stores a 6 MB Binary intact", async () => {
    const data = randomBytes(6_000_000).toString("base64");

    const created = await api.fhir("POST", "/Binary", { body: { resourceType: "Binary", contentType: "application/octet-stream", data }, headers: { prefer: "return=minimal" } });

    expect(created.status, created.text.slice(0, 500)).toBe(201);
    const id = parseLocation(created.headers.get("location") ?? undefined)?.id;
    const read = await api.fhir("GET", `/Binary/${id}`, { headers: { accept: "application/fhir+json" } });
    expect(read.status).toBe(200);
    expect(read.json.data.length).toBe(data.length);
    expect(read.json.data === data, "data read back differs from data sent").toBe(true);
  });

  it("rejects Binary over body limit with 413", async () => {
    const since = new Date().toISOString();
    const data = randomBytes(7_000_000).toString("base64");
    expect(data.length).toBeGreaterThan(MAX_BODY_BYTES);

    const result = await api.fhir("POST", "/Binary", { body: { resourceType: "Binary", contentType: "application/octet-stream", data } });

    expect(result.status, result.text.slice(0, 500)).toBe(413);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(issueCodes(result.json)).toEqual(["too-long"]);
    const history = await api.fhir("GET", `/Binary/_history?_since=${encodeURIComponent(since)}`);
    expect(history.status).toBe(200);
    expect(history.json.entry ?? [], "no Binary may be stored").toEqual([]);
  });

  it("rejects transaction over body limit with 413", async () => {
    const since = new Date().toISOString();
    const data = randomBytes(7_000_000).toString("base64");

    const result = await postBundle({
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { resource: { resourceType: "Patient", identifier: [{ system: "urn:example:mrn", value: `BIG-BUNDLE-${run}` }] }, request: { method: "POST", url: "Patient" } },
        { resource: { resourceType: "Binary", contentType: "application/octet-stream", data }, request: { method: "POST", url: "Binary" } },
      ],
    });

    expect(result.status, result.text.slice(0, 500)).toBe(413);
    expect(issueCodes(result.json)).toEqual(["too-long"]);
    expect(await searchIds("Patient", `identifier=urn:example:mrn|BIG-BUNDLE-${run}`)).toEqual([]);
    const history = await api.fhir("GET", `/Binary/_history?_since=${encodeURIComponent(since)}`);
    expect(history.json.entry ?? [], "no Binary may be stored").toEqual([]);
  });
});
