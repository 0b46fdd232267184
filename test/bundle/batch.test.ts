import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type FhirResult } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp();
});

/** Suffix that keeps this run's identifiers apart from any other data in the table. */
const run = crypto.randomUUID().slice(0, 8);
const MRN = "urn:example:mrn";

function mrn(label: string) {
  return { system: MRN, value: `${label}-${run}` };
}

function byMrn(label: string): string {
  return `identifier=${MRN}|${label}-${run}`;
}

function batch(entry: object[]) {
  return { resourceType: "Bundle", type: "batch", entry };
}

function postBundle(bundle: object): Promise<FhirResult> {
  return api.fhir("POST", "", { body: bundle });
}

/** Reads the 3-digit HTTP code at the start of a response entry's `response.status`. */
function statusOf(entry: any): number {
  return Number(/^(\d{3})/.exec(entry?.response?.status ?? "")?.[1]);
}

/** Id from a relative or absolute `[type]/[id]/_history/[vid]` location. */
function idOf(entry: any): string {
  const match = /(?:^|\/)[A-Z][A-Za-z]+\/([A-Za-z0-9\-.]{1,64})\/_history\/\d+$/.exec(entry?.response?.location ?? "");
  if (match === null) throw new Error(`response entry has no version location: ${JSON.stringify(entry)}`);
  return match[1]!;
}

async function searchIds(type: string, query: string): Promise<string[]> {
  const result = await api.fhir("GET", `/${type}?${query}`);
  expect(result.status, `GET ${type}?${query}`).toBe(200);
  return (result.json.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id);
}

function postPatient(label: string, request: object = {}) {
  return { resource: { resourceType: "Patient", identifier: [mrn(label)] }, request: { method: "POST", url: "Patient", ...request } };
}

describe("batch", () => {
  it("processes entries independently", async () => {
    const result = await postBundle(
      batch([
        postPatient("independent-ok"),
        { resource: { resourceType: "Organization", identifier: [mrn("independent-bad")], name: { not: "a string" } }, request: { method: "POST", url: "Organization" } },
        { resource: { resourceType: "Patient", identifier: [mrn("no-request")] } },
        postPatient("independent-also-ok"),
      ]),
    );

    expect(result.status, result.text).toBe(200);
    expect(result.json.type).toBe("batch-response");
    expect(result.json.entry).toHaveLength(4);
    const [ok, invalid, noRequest, alsoOk] = result.json.entry;

    expect(ok.response.status).toBe("201 Created");
    expect(await searchIds("Patient", byMrn("independent-ok"))).toEqual([idOf(ok)]);

    expect(statusOf(invalid)).toBe(400);
    expect(invalid.response.outcome?.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Organization", byMrn("independent-bad"))).toEqual([]);

    expect(statusOf(noRequest)).toBe(400);
    expect(noRequest.response.outcome?.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn("no-request"))).toEqual([]);

    expect(statusOf(alsoOk)).toBe(201);
    expect(await searchIds("Patient", byMrn("independent-also-ok"))).toEqual([idOf(alsoOk)]);
  });

  it("answers conditional creates per entry", async () => {
    const existing = await api.createResource({ resourceType: "Patient", identifier: [mrn("batch-existing")] });
    await api.createResource({ resourceType: "Patient", identifier: [mrn("batch-twice")] });
    await api.createResource({ resourceType: "Patient", identifier: [mrn("batch-twice")] });

    const result = await postBundle(
      batch([
        postPatient("batch-existing", { ifNoneExist: byMrn("batch-existing") }),
        postPatient("batch-new", { ifNoneExist: byMrn("batch-new") }),
        postPatient("batch-twice", { ifNoneExist: byMrn("batch-twice") }),
      ]),
    );

    expect(result.status, result.text).toBe(200);
    const [matched, created, ambiguous] = result.json.entry;
    expect(statusOf(matched)).toBe(200);
    expect(idOf(matched)).toBe(existing.id);
    expect(await searchIds("Patient", byMrn("batch-existing"))).toEqual([existing.id]);

    expect(statusOf(created)).toBe(201);
    expect(await searchIds("Patient", byMrn("batch-new"))).toEqual([idOf(created)]);

    expect(statusOf(ambiguous)).toBe(412);
    expect(ambiguous.response.outcome?.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn("batch-twice"))).toHaveLength(2);
  });

  it("answers GET entries", async () => {
    const patient = await api.createResource({ resourceType: "Patient", identifier: [mrn("batch-read")] });
    const deletedPatient = await api.createResource({ resourceType: "Patient" });
    expect((await api.fhir("DELETE", `/Patient/${deletedPatient.id}`)).status).toBeLessThan(300);

    const result = await postBundle(
      batch([
        { request: { method: "GET", url: `Patient/${patient.id}` } },
        { request: { method: "GET", url: `Patient/missing-${run}` } },
        { request: { method: "GET", url: `Patient?${byMrn("batch-read")}` } },
        { request: { method: "GET", url: `Patient/${patient.id}`, ifNoneMatch: 'W/"1"' } },
        { request: { method: "GET", url: `Patient/${patient.id}/_history/1` } },
        { request: { method: "GET", url: `Patient/${deletedPatient.id}` } },
      ]),
    );

    expect(result.status, result.text).toBe(200);
    const [read, missing, search, notModified, vread, deleted] = result.json.entry;
    expect(statusOf(read)).toBe(200);
    expect(read.resource.id).toBe(patient.id);
    expect(read.response.etag).toBe('W/"1"');

    expect(statusOf(missing)).toBe(404);
    expect(missing.response.outcome?.resourceType).toBe("OperationOutcome");

    expect(statusOf(search)).toBe(200);
    expect(search.resource.type).toBe("searchset");
    expect(search.resource.entry.map((entry: any) => entry.resource.id)).toEqual([patient.id]);

    expect(statusOf(notModified)).toBe(304);
    expect(notModified.resource).toBeUndefined();

    expect(statusOf(vread)).toBe(200);
    expect(vread.resource.meta.versionId).toBe("1");

    expect(statusOf(deleted)).toBe(410);
  });

  it("runs nested transaction as one entry", async () => {
    const patientUrn = `urn:uuid:${crypto.randomUUID()}`;
    const inner = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        { fullUrl: patientUrn, ...postPatient("nested-patient") },
        {
          resource: { resourceType: "Observation", status: "final", code: { text: "nested probe" }, subject: { reference: patientUrn } },
          request: { method: "POST", url: "Observation" },
        },
      ],
    };

    const result = await postBundle(batch([{ resource: inner, request: { method: "POST", url: "" } }, postPatient("nested-sibling")]));

    expect(result.status, result.text).toBe(200);
    expect(result.json.type).toBe("batch-response");
    const [nested, sibling] = result.json.entry;
    expect(statusOf(nested)).toBe(200);
    expect(nested.resource.resourceType).toBe("Bundle");
    expect(nested.resource.type).toBe("transaction-response");
    expect(nested.resource.entry.map(statusOf)).toEqual([201, 201]);

    const patientId = idOf(nested.resource.entry[0]);
    expect(await searchIds("Patient", byMrn("nested-patient"))).toEqual([patientId]);
    const observation = await api.fhir("GET", `/Observation/${idOf(nested.resource.entry[1])}`);
    expect(observation.json.subject.reference).toBe(`Patient/${patientId}`);
    expect(statusOf(sibling)).toBe(201);
  });

  it("fails nested transaction as a whole", async () => {
    const inner = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        postPatient("nested-atomic"),
        { resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, subject: { reference: `urn:uuid:${crypto.randomUUID()}` } }, request: { method: "POST", url: "Observation" } },
      ],
    };

    const result = await postBundle(batch([postPatient("nested-atomic-sibling"), { resource: inner, request: { method: "POST", url: "" } }]));

    expect(result.status, result.text).toBe(200);
    const [sibling, nested] = result.json.entry;
    expect(statusOf(sibling)).toBe(201);
    expect(statusOf(nested)).toBe(400);
    expect(nested.response.outcome?.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn("nested-atomic")), "the inner transaction must write nothing").toEqual([]);
    expect(await searchIds("Patient", byMrn("nested-atomic-sibling"))).toEqual([idOf(sibling)]);
  });
});
