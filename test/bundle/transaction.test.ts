import { beforeAll, describe, expect, it } from "vitest";
import { BASE, createTestApp, type FhirResult } from "../support/app.ts";

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

function transaction(entry: object[]) {
  return { resourceType: "Bundle", type: "transaction", entry };
}

function postBundle(bundle: object, headers: Record<string, string> = {}): Promise<FhirResult> {
  return api.fhir("POST", "", { body: bundle, headers });
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

/** Collects every `issue.expression` of an OperationOutcome. */
function expressions(outcome: any): string[] {
  return (outcome?.issue ?? []).flatMap((issue: { expression?: string[] }) => issue.expression ?? []);
}

function namesEntry(outcome: any, index: number): boolean {
  return expressions(outcome).some((expression) => expression.startsWith(`Bundle.entry[${index}]`));
}

async function searchIds(type: string, query: string): Promise<string[]> {
  const result = await api.fhir("GET", `/${type}?${query}`);
  expect(result.status, `GET ${type}?${query}`).toBe(200);
  return (result.json.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id);
}

function postPatient(label: string, extra: object = {}) {
  return { resource: { resourceType: "Patient", identifier: [mrn(label)], ...extra }, request: { method: "POST", url: "Patient" } };
}

describe("transaction reference rewriting", () => {
  const patientUrn = `urn:uuid:${crypto.randomUUID()}`;
  const binaryUrn = `urn:uuid:${crypto.randomUUID()}`;
  const organizationUrl = `http://other.example/fhir/Organization/sponsor-${run}`;
  let result: FhirResult;
  let observation: any;
  let observationText: string;

  beforeAll(async () => {
    const narrative = `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${patientUrn}">patient</a> <img src="${binaryUrn}" alt="scan"/></div>`;
    result = await postBundle(
      transaction([
        { fullUrl: patientUrn, resource: { resourceType: "Patient", identifier: [mrn("rewrite")] }, request: { method: "POST", url: "Patient" } },
        { fullUrl: binaryUrn, resource: { resourceType: "Binary", contentType: "image/png", data: "iVBORw0KGgo=" }, request: { method: "POST", url: "Binary" } },
        { fullUrl: organizationUrl, resource: { resourceType: "Organization", name: "Rewrite Probe" }, request: { method: "POST", url: "Organization" } },
        {
          fullUrl: `urn:uuid:${crypto.randomUUID()}`,
          resource: {
            resourceType: "Observation",
            text: { status: "generated", div: narrative },
            contained: [{ resourceType: "RelatedPerson", id: "carer", patient: { reference: patientUrn } }],
            extension: [{ url: "http://example.org/fhir/StructureDefinition/probe-source", valueReference: { reference: patientUrn } }],
            status: "final",
            code: { text: "reference rewriting probe" },
            subject: { reference: patientUrn },
            performer: [{ reference: "#carer" }, { reference: organizationUrl }],
          },
          request: { method: "POST", url: "Observation" },
        },
        {
          resource: { resourceType: "DocumentReference", status: "current", content: [{ attachment: { contentType: "image/png", url: binaryUrn } }] },
          request: { method: "POST", url: "DocumentReference" },
        },
      ]),
    );
    expect(result.status, result.text).toBe(200);
    const read = await api.fhir("GET", `/Observation/${idOf(result.json.entry[3])}`);
    observation = read.json;
    observationText = read.text;
  });

  it("rewrites subject urn:uuid", () => {
    expect(observation.subject.reference).toBe(`Patient/${idOf(result.json.entry[0])}`);
  });

  it("rewrites extension valueReference", () => {
    expect(observation.extension[0].valueReference.reference).toBe(`Patient/${idOf(result.json.entry[0])}`);
  });

  it("rewrites contained resource reference", () => {
    expect(observation.contained[0].patient.reference).toBe(`Patient/${idOf(result.json.entry[0])}`);
    expect(observation.performer[0].reference, "local reference to the contained resource").toBe("#carer");
  });

  it("rewrites narrative href and src", () => {
    const div: string = observation.text.div;
    expect(div).toContain(`<a href="Patient/${idOf(result.json.entry[0])}">`);
    expect(div).toContain(`src="Binary/${idOf(result.json.entry[1])}"`);
  });

  it("rewrites single-quoted narrative href", async () => {
    const urn = `urn:uuid:${crypto.randomUUID()}`;
    const div = `<div xmlns="http://www.w3.org/1999/xhtml"><a href='${urn}'>patient</a></div>`;
    const quoted = await postBundle(
      transaction([
        { fullUrl: urn, ...postPatient("single-quote") },
        { resource: { resourceType: "Observation", text: { status: "generated", div }, status: "final", code: { text: "probe" } }, request: { method: "POST", url: "Observation" } },
      ]),
    );

    expect(quoted.status, quoted.text).toBe(200);
    const read = await api.fhir("GET", `/Observation/${idOf(quoted.json.entry[1])}`);
    expect(read.json.text.div).toContain(`href='Patient/${idOf(quoted.json.entry[0])}'`);
  });

  it("rewrites absolute fullUrl reference", () => {
    const organizationId = idOf(result.json.entry[2]);
    expect(organizationId, "POST assigns a new id whatever the fullUrl says").not.toBe(`sponsor-${run}`);
    expect(observation.performer[1].reference).toBe(`Organization/${organizationId}`);
  });

  it("rewrites Attachment.url", async () => {
    const document = await api.fhir("GET", `/DocumentReference/${idOf(result.json.entry[4])}`);
    expect(document.json.content[0].attachment.url).toBe(`Binary/${idOf(result.json.entry[1])}`);
  });

  it("leaves no urn:uuid behind", () => {
    expect(observationText).not.toContain("urn:uuid:");
  });

  it("rewrites narrative href to absolute fullUrl", async () => {
    const fullUrl = `http://other.example/fhir/Patient/narrative-${run}`;
    const div = `<div xmlns="http://www.w3.org/1999/xhtml"><a href="${fullUrl}">patient</a></div>`;
    const linked = await postBundle(
      transaction([
        { fullUrl, ...postPatient("narrative-absolute") },
        { resource: { resourceType: "Observation", text: { status: "generated", div }, status: "final", code: { text: "probe" } }, request: { method: "POST", url: "Observation" } },
      ]),
    );

    expect(linked.status, linked.text).toBe(200);
    const read = await api.fhir("GET", `/Observation/${idOf(linked.json.entry[1])}`);
    expect(read.json.text.div).toContain(`href="Patient/${idOf(linked.json.entry[0])}"`);
  });

  it("resolves relative reference against fullUrl base", async () => {
    const root = "http://other.example/fhir";
    const linked = await postBundle(
      transaction([
        { fullUrl: `${root}/Patient/relative-${run}`, ...postPatient("relative") },
        {
          fullUrl: `${root}/Observation/relative-${run}`,
          resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, subject: { reference: `Patient/relative-${run}` } },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );

    expect(linked.status, linked.text).toBe(200);
    const patientId = idOf(linked.json.entry[0]);
    expect(patientId, "POST assigns a new id whatever the fullUrl says").not.toBe(`relative-${run}`);
    const read = await api.fhir("GET", `/Observation/${idOf(linked.json.entry[1])}`);
    expect(read.json.subject.reference).toBe(`Patient/${patientId}`);
  });
});

describe("transaction conditional references", () => {
  it("resolves a single stored match", async () => {
    const practitioner = await api.createResource({ resourceType: "Practitioner", identifier: [mrn("one-match")] });
    const result = await postBundle(
      transaction([
        {
          resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, performer: [{ reference: `Practitioner?${byMrn("one-match")}` }] },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );

    expect(result.status, result.text).toBe(200);
    const observation = await api.fhir("GET", `/Observation/${idOf(result.json.entry[0])}`);
    expect(observation.json.performer[0].reference).toBe(`Practitioner/${practitioner.id}`);
  });

  it("fails the transaction on no match", async () => {
    const result = await postBundle(
      transaction([
        postPatient("no-match-bystander"),
        {
          resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, subject: { reference: `Patient?${byMrn("no-match-nobody")}` } },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );

    expect(result.status, result.text).toBeGreaterThanOrEqual(400);
    expect(result.status, result.text).toBeLessThan(500);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn("no-match-bystander")), "valid entry must not be written").toEqual([]);
  });

  it("fails with 412 on two matches", async () => {
    await api.createResource({ resourceType: "Practitioner", identifier: [mrn("two-match")] });
    await api.createResource({ resourceType: "Practitioner", identifier: [mrn("two-match")] });
    const result = await postBundle(
      transaction([
        postPatient("two-match-bystander"),
        {
          resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, performer: [{ reference: `Practitioner?${byMrn("two-match")}` }] },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );

    expect(result.status, result.text).toBe(412);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn("two-match-bystander")), "valid entry must not be written").toEqual([]);
  });

  it("matches a resource created in the bundle", async () => {
    const result = await postBundle(
      transaction([
        {
          resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, subject: { reference: `Patient?${byMrn("in-bundle")}` } },
          request: { method: "POST", url: "Observation" },
        },
        postPatient("in-bundle"),
      ]),
    );

    expect(result.status, result.text).toBe(200);
    const patientId = idOf(result.json.entry[1]);
    const observation = await api.fhir("GET", `/Observation/${idOf(result.json.entry[0])}`);
    expect(observation.json.subject.reference).toBe(`Patient/${patientId}`);
    expect(await searchIds("Patient", byMrn("in-bundle"))).toEqual([patientId]);
  });
});

describe("transaction ifNoneExist", () => {
  it("creates when nothing matches", async () => {
    const result = await postBundle(
      transaction([{ resource: { resourceType: "Patient", identifier: [mrn("create-new")] }, request: { method: "POST", url: "Patient", ifNoneExist: byMrn("create-new") } }]),
    );

    expect(result.status, result.text).toBe(200);
    expect(statusOf(result.json.entry[0])).toBe(201);
    expect(await searchIds("Patient", byMrn("create-new"))).toEqual([idOf(result.json.entry[0])]);
  });

  it("returns the single match unchanged", async () => {
    const existing = await api.createResource({ resourceType: "Patient", identifier: [mrn("create-existing")], active: true });
    const result = await postBundle(
      transaction([
        {
          resource: { resourceType: "Patient", identifier: [mrn("create-existing")], active: false },
          request: { method: "POST", url: "Patient", ifNoneExist: byMrn("create-existing") },
        },
      ]),
    );

    expect(result.status, result.text).toBe(200);
    const entry = result.json.entry[0];
    expect(statusOf(entry)).toBe(200);
    expect(parseLocation(entry.response.location)).toEqual({ type: "Patient", id: existing.id, versionId: "1" });
    expect(await searchIds("Patient", byMrn("create-existing"))).toEqual([existing.id]);
    const read = await api.fhir("GET", `/Patient/${existing.id}`);
    expect(read.json.meta.versionId).toBe("1");
    expect(read.json.active).toBe(true);
  });

  it("fails with 412 on two matches", async () => {
    await api.createResource({ resourceType: "Patient", identifier: [mrn("create-twice")] });
    await api.createResource({ resourceType: "Patient", identifier: [mrn("create-twice")] });
    const result = await postBundle(
      transaction([
        postPatient("create-twice-bystander"),
        { resource: { resourceType: "Patient", identifier: [mrn("create-twice")] }, request: { method: "POST", url: "Patient", ifNoneExist: byMrn("create-twice") } },
      ]),
    );

    expect(result.status, result.text).toBe(412);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn("create-twice"))).toHaveLength(2);
    expect(await searchIds("Patient", byMrn("create-twice-bystander"))).toEqual([]);
  });
});

describe("transaction preconditions and conditional writes", () => {
  it("stale ifMatch fails everything", async () => {
    const patient = await api.createResource({ resourceType: "Patient", active: true });
    const second = await api.fhir("PUT", `/Patient/${patient.id}`, { body: { resourceType: "Patient", id: patient.id, active: false } });
    expect(second.status).toBe(200);

    const result = await postBundle(
      transaction([
        postPatient("stale-bystander"),
        { resource: { resourceType: "Patient", id: patient.id, active: true }, request: { method: "PUT", url: `Patient/${patient.id}`, ifMatch: 'W/"1"' } },
      ]),
    );

    expect(result.status, result.text).toBe(412);
    expect(result.json.resourceType).toBe("OperationOutcome");
    const read = await api.fhir("GET", `/Patient/${patient.id}`);
    expect(read.json.meta.versionId).toBe("2");
    expect(read.json.active).toBe(false);
    expect(await searchIds("Patient", byMrn("stale-bystander"))).toEqual([]);
  });

  it("applies conditional update and delete", async () => {
    const updated = await api.createResource({ resourceType: "Patient", identifier: [mrn("cond-update")], active: true });
    const deleted = await api.createResource({ resourceType: "Patient", identifier: [mrn("cond-delete")] });

    const result = await postBundle(
      transaction([
        { resource: { resourceType: "Patient", identifier: [mrn("cond-update")], active: false }, request: { method: "PUT", url: `Patient?${byMrn("cond-update")}` } },
        { resource: { resourceType: "Patient", identifier: [mrn("cond-create")] }, request: { method: "PUT", url: `Patient?${byMrn("cond-create")}` } },
        { request: { method: "DELETE", url: `Patient?${byMrn("cond-delete")}` } },
        { request: { method: "DELETE", url: `Patient?${byMrn("cond-nobody")}` } },
      ]),
    );

    expect(result.status, result.text).toBe(200);
    const [update, create, deletion, noDeletion] = result.json.entry;
    expect(statusOf(update)).toBe(200);
    expect(parseLocation(update.response.location)).toEqual({ type: "Patient", id: updated.id, versionId: "2" });
    expect(statusOf(create)).toBe(201);
    expect(await searchIds("Patient", byMrn("cond-create"))).toEqual([idOf(create)]);
    expect([200, 204]).toContain(statusOf(deletion));
    expect([200, 204], "a conditional delete without a match is an ordinary delete").toContain(statusOf(noDeletion));

    const readUpdated = await api.fhir("GET", `/Patient/${updated.id}`);
    expect(readUpdated.json.meta.versionId).toBe("2");
    expect(readUpdated.json.active).toBe(false);
    expect((await api.fhir("GET", `/Patient/${deleted.id}`)).status).toBe(410);
  });

  it("rejects two entries on one resource", async () => {
    const id = `dup-${run}`;
    const result = await postBundle(
      transaction([
        { resource: { resourceType: "Patient", id, active: true }, request: { method: "PUT", url: `Patient/${id}` } },
        { resource: { resourceType: "Patient", id, active: false }, request: { method: "PUT", url: `Patient/${id}` } },
      ]),
    );

    expect(result.status, result.text).toBe(400);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect((await api.fhir("GET", `/Patient/${id}`)).status).toBe(404);
  });

  it("rejects conditional update overlapping PUT", async () => {
    const patient = await api.createResource({ resourceType: "Patient", identifier: [mrn("overlap")], active: true });
    const result = await postBundle(
      transaction([
        { resource: { resourceType: "Patient", id: patient.id, identifier: [mrn("overlap")], active: false }, request: { method: "PUT", url: `Patient/${patient.id}` } },
        { resource: { resourceType: "Patient", identifier: [mrn("overlap")], gender: "other" }, request: { method: "PUT", url: `Patient?${byMrn("overlap")}` } },
      ]),
    );

    expect(result.status, result.text).toBe(400);
    expect((await api.fhir("GET", `/Patient/${patient.id}`)).json.meta.versionId).toBe("1");
  });
});

describe("transaction rejections", () => {
  it("rejects duplicate fullUrl", async () => {
    const fullUrl = `urn:uuid:${crypto.randomUUID()}`;
    const result = await postBundle(transaction([{ fullUrl, ...postPatient("dup-full-url") }, { fullUrl, ...postPatient("dup-full-url") }]));

    expect(result.status, result.text).toBe(400);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn("dup-full-url"))).toEqual([]);
  });

  it("rejects dangling urn:uuid reference", async () => {
    const result = await postBundle(
      transaction([
        postPatient("dangling-bystander"),
        {
          resource: { resourceType: "Observation", status: "final", code: { text: "probe" }, subject: { reference: `urn:uuid:${crypto.randomUUID()}` } },
          request: { method: "POST", url: "Observation" },
        },
      ]),
    );

    expect(result.status, result.text).toBe(400);
    expect(namesEntry(result.json, 1), result.text).toBe(true);
    expect(await searchIds("Patient", byMrn("dangling-bystander"))).toEqual([]);
  });

  it("rejects entry without request", async () => {
    const result = await postBundle(transaction([postPatient("no-request-bystander"), { resource: { resourceType: "Patient", identifier: [mrn("no-request")] } }]));

    expect(result.status, result.text).toBe(400);
    expect(namesEntry(result.json, 1), result.text).toBe(true);
    expect(await searchIds("Patient", byMrn("no-request-bystander"))).toEqual([]);
    expect(await searchIds("Patient", byMrn("no-request"))).toEqual([]);
  });

  it.each(["collection", "document", "searchset", "transaction-response"])("rejects Bundle.type %s", async (type) => {
    const label = `type-${type}`;
    const result = await postBundle({ resourceType: "Bundle", type, entry: [postPatient(label)] });

    expect(result.status, result.text).toBe(400);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(await searchIds("Patient", byMrn(label))).toEqual([]);
  });

  it.each([
    ["PATCH", { resource: { resourceType: "Binary", contentType: "application/json-patch+json", data: btoa("[]") }, request: { method: "PATCH", url: "Patient/patch-target" } }],
    ["type operation", { resource: { resourceType: "Parameters" }, request: { method: "POST", url: "Patient/$validate" } }],
    ["system operation", { resource: { resourceType: "Parameters" }, request: { method: "POST", url: "$process-message" } }],
    ["nested bundle", { resource: { resourceType: "Bundle", type: "transaction", entry: [] }, request: { method: "POST", url: "" } }],
  ])("rejects %s entry", async (name, entry) => {
    const label = `reject-${name.replace(/ /g, "-")}`;
    const result = await postBundle(transaction([postPatient(label), entry]));

    expect(result.status, result.text).toBeGreaterThanOrEqual(400);
    expect(result.status, result.text).toBeLessThan(500);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(namesEntry(result.json, 1), result.text).toBe(true);
    expect(await searchIds("Patient", byMrn(label))).toEqual([]);
  });

  it("invalid resource fails the whole transaction", async () => {
    const result = await postBundle(
      transaction([
        { resource: { resourceType: "Organization", identifier: [mrn("atomic-ok")], name: "Atomic Probe OK" }, request: { method: "POST", url: "Organization" } },
        { resource: { resourceType: "Organization", identifier: [mrn("atomic-bad")], name: { not: "a string" } }, request: { method: "POST", url: "Organization" } },
        postPatient("atomic-ok"),
      ]),
    );

    expect(result.status, result.text).toBe(400);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(expressions(result.json), result.text).toContainEqual(expect.stringMatching(/^Bundle\.entry\[1\]\.resource\.name/));
    expect(namesEntry(result.json, 0), "the valid entries have no issue").toBe(false);
    expect(await searchIds("Organization", byMrn("atomic-ok"))).toEqual([]);
    expect(await searchIds("Organization", byMrn("atomic-bad"))).toEqual([]);
    expect(await searchIds("Patient", byMrn("atomic-ok"))).toEqual([]);
  });
});

describe("transaction response", () => {
  it("answers entries in request order", async () => {
    const doomed = await api.createResource({ resourceType: "Patient", identifier: [mrn("order-delete")] });
    const putId = `order-${run}`;

    const result = await postBundle(
      transaction([
        { fullUrl: `${BASE}/Patient/${putId}`, resource: { resourceType: "Patient", id: putId, active: true }, request: { method: "PUT", url: `Patient/${putId}` } },
        { fullUrl: `urn:uuid:${crypto.randomUUID()}`, ...postPatient("order-post") },
        { request: { method: "GET", url: `Patient/${putId}` } },
        { request: { method: "DELETE", url: `Patient/${doomed.id}` } },
      ]),
    );

    expect(result.status, result.text).toBe(200);
    expect(result.json.resourceType).toBe("Bundle");
    expect(result.json.type).toBe("transaction-response");
    expect(result.json.entry).toHaveLength(4);
    const [put, post, get, deletion] = result.json.entry;

    expect(put.response.status).toBe("201 Created");
    expect(parseLocation(put.response.location)).toEqual({ type: "Patient", id: putId, versionId: "1" });
    expect(put.response.etag).toBe('W/"1"');
    expect(Number.isNaN(Date.parse(put.response.lastModified)), `lastModified ${put.response.lastModified}`).toBe(false);

    expect(post.response.status).toBe("201 Created");
    expect(parseLocation(post.response.location)?.versionId).toBe("1");
    expect(await searchIds("Patient", byMrn("order-post"))).toEqual([idOf(post)]);

    expect(get.response.status).toBe("200 OK");
    expect(get.resource.id).toBe(putId);

    expect([200, 204]).toContain(statusOf(deletion));
    expect((await api.fhir("GET", `/Patient/${doomed.id}`)).status).toBe(410);
  });

  it.each([
    ["without Prefer", {}],
    ["with return=minimal", { prefer: "return=minimal" }],
  ])("omits written resources %s", async (_, headers) => {
    const label = `omit-${Object.keys(headers).length}`;
    const result = await postBundle(transaction([postPatient(label)]), headers);

    expect(result.status, result.text).toBe(200);
    const entry = result.json.entry[0];
    expect(statusOf(entry)).toBe(201);
    expect(entry.resource, "written resources come back only with Prefer: return=representation").toBeUndefined();
  });

  it("returns resources with return=representation", async () => {
    const result = await postBundle(transaction([postPatient("representation")]), { prefer: "return=representation" });

    expect(result.status, result.text).toBe(200);
    const entry = result.json.entry[0];
    expect(entry.resource.resourceType).toBe("Patient");
    expect(entry.resource.id).toBe(idOf(entry));
    expect(entry.resource.meta.versionId).toBe("1");
    expect(entry.resource.identifier).toEqual([mrn("representation")]);
  });

  it("runs GET entries after writes", async () => {
    const putId = `get-after-${run}`;
    const result = await postBundle(
      transaction([
        { request: { method: "GET", url: `Patient?${byMrn("get-after")}` } },
        { request: { method: "GET", url: `Patient/${putId}` } },
        postPatient("get-after"),
        { resource: { resourceType: "Patient", id: putId, gender: "female" }, request: { method: "PUT", url: `Patient/${putId}` } },
      ]),
    );

    expect(result.status, result.text).toBe(200);
    const [search, read, post] = result.json.entry;
    expect(statusOf(search)).toBe(200);
    expect(search.resource.type).toBe("searchset");
    const matches = (search.resource.entry ?? []).filter((entry: any) => entry.search?.mode === "match");
    expect(matches.map((entry: any) => entry.resource.id)).toEqual([idOf(post)]);
    expect(statusOf(read)).toBe(200);
    expect(read.resource.id).toBe(putId);
    expect(read.resource.gender).toBe("female");
  });

  it("commits 150 resources atomically", async () => {
    const entries: object[] = [];
    const patientUrns: string[] = [];
    for (let index = 0; index < 75; index++) {
      const urn = `urn:uuid:${crypto.randomUUID()}`;
      patientUrns.push(urn);
      entries.push({ fullUrl: urn, resource: { resourceType: "Patient", identifier: [{ system: `urn:example:big-${run}`, value: `P${index}` }] }, request: { method: "POST", url: "Patient" } });
    }
    patientUrns.forEach((urn, index) => {
      entries.push({
        resource: { resourceType: "Observation", identifier: [{ system: `urn:example:big-${run}`, value: `O${index}` }], status: "final", code: { text: "bulk probe" }, subject: { reference: urn } },
        request: { method: "POST", url: "Observation" },
      });
    });

    const result = await postBundle(transaction(entries));

    expect(result.status, result.text.slice(0, 2000)).toBe(200);
    expect(result.json.entry).toHaveLength(150);
    expect(result.json.entry.map(statusOf).filter((status: number) => status !== 201)).toEqual([]);
    expect(await searchIds("Patient", `identifier=urn:example:big-${run}|&_count=200`)).toHaveLength(75);
    expect(await searchIds("Observation", `identifier=urn:example:big-${run}|&_count=200`)).toHaveLength(75);

    const observations = await Promise.all(result.json.entry.slice(75).map((entry: any) => api.fhir("GET", `/Observation/${idOf(entry)}`)));
    observations.forEach((observation, index) => {
      expect(observation.status).toBe(200);
      expect(observation.json.subject.reference, `Observation O${index}`).toBe(`Patient/${idOf(result.json.entry[index])}`);
    });
  });
});
