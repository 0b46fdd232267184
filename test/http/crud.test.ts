import { beforeAll, describe, expect, it } from "vitest";
import { BASE, createTestApp, issueCodes } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp({ maxBodyBytes: 64 * 1024 });
});

describe("create", () => {
  it("assigns an id and version 1", async () => {
    const result = await api.fhir("POST", "/Patient", { body: { resourceType: "Patient", id: "ignored", active: true } });

    expect(result.status).toBe(201);
    expect(result.json.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.json.id).not.toBe("ignored");
    expect(result.json.meta.versionId).toBe("1");
    expect(result.headers.get("etag")).toBe('W/"1"');
    expect(result.headers.get("location")).toBe(`http://flint.test/fhir/Patient/${result.json.id}/_history/1`);
    expect(new Date(result.headers.get("last-modified")!).getTime()).toBe(
      Math.floor(Date.parse(result.json.meta.lastUpdated) / 1000) * 1000,
    );
    expect(result.headers.get("content-type")).toBe("application/fhir+json; charset=utf-8");
  });

  it("keeps client meta elements", async () => {
    const meta = { profile: ["http://example.org/StructureDefinition/p"], tag: [{ system: "urn:t", code: "x" }] };
    const created = await api.createResource({ resourceType: "Patient", meta });
    expect(created.meta).toMatchObject(meta);
  });

  it("honours Prefer return", async () => {
    const body = { resourceType: "Patient" };
    const minimal = await api.fhir("POST", "/Patient", { body, headers: { prefer: "return=minimal" } });
    expect(minimal.status).toBe(201);
    expect(minimal.text).toBe("");
    expect(minimal.headers.get("location")).toMatch(/_history\/1$/);

    const outcome = await api.fhir("POST", "/Patient", { body, headers: { prefer: "return=OperationOutcome" } });
    expect(outcome.status).toBe(201);
    expect(outcome.json.resourceType).toBe("OperationOutcome");
    expect(outcome.json.issue[0].severity).toBe("information");
  });

  it("rejects a body of another type", async () => {
    const result = await api.fhir("POST", "/Patient", { body: { resourceType: "Observation" } });
    expect(result.status).toBe(400);
    expect(result.json.issue[0].diagnostics).toContain("Observation");
  });

  it("rejects malformed JSON with its position", async () => {
    const result = await api.fhir("POST", "/Patient", {
      raw: '{"resourceType": "Patient",\n "active": tru}',
      headers: { "content-type": "application/fhir+json" },
    });
    expect(result.status).toBe(400);
    expect(result.json.resourceType).toBe("OperationOutcome");
    expect(result.json.issue[0].diagnostics).toMatch(/line 2/);
  });

  it.each([
    ["an array", "[]"],
    ["a string", '"Patient"'],
    ["nothing", ""],
  ])("rejects %s as body", async (_, raw) => {
    const result = await api.fhir("POST", "/Patient", { raw, headers: { "content-type": "application/fhir+json" } });
    expect(result.status).toBe(400);
  });

  it("rejects invalid UTF-8", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"resourceType":"Patient","name":[{"family":"'), 0xc3, 0x28, 0x22, 0x7d, 0x5d, 0x7d]);
    const result = await api.fhir("POST", "/Patient", { raw: bytes, headers: { "content-type": "application/fhir+json" } });
    expect(result.status).toBe(400);
    expect(result.json.issue[0].diagnostics).toContain("UTF-8");
  });

  it("reports each structural problem with its path", async () => {
    const result = await api.fhir("POST", "/Patient", {
      body: { resourceType: "Patient", birthDate: "1990-02-30", name: [{ given: "Ann" }], colour: "blue" },
    });
    expect(result.status).toBe(400);
    const expressions = result.json.issue.map((issue: { expression?: string[] }) => issue.expression?.[0]);
    expect(expressions).toEqual(expect.arrayContaining(["Patient.birthDate", "Patient.name[0].given", "Patient.colour"]));
  });

  it("rejects an unknown resource type with 404", async () => {
    const result = await api.fhir("POST", "/Patientt", { body: { resourceType: "Patientt" } });
    expect(result.status).toBe(404);
    expect(issueCodes(result.json)).toEqual(["not-supported"]);
  });

  it("rejects an oversized body with 413 and writes nothing", async () => {
    const before = await api.fhir("GET", "/Binary/_history");
    const data = "A".repeat(70 * 1024);
    const result = await api.fhir("POST", "/Binary", { body: { resourceType: "Binary", contentType: "text/plain", data } });
    expect(result.status).toBe(413);
    expect(issueCodes(result.json)).toEqual(["too-long"]);
    const after = await api.fhir("GET", "/Binary/_history");
    expect(after.json.entry ?? []).toHaveLength((before.json.entry ?? []).length);
  });
});

describe("read and vread", () => {
  it("returns the resource with ETag and Last-Modified", async () => {
    const created = await api.createResource({ resourceType: "Patient", gender: "female" });
    const result = await api.fhir("GET", `/Patient/${created.id}`);

    expect(result.status).toBe(200);
    expect(result.json).toEqual(created);
    expect(result.headers.get("etag")).toBe('W/"1"');
    expect(result.headers.get("last-modified")).toBeTruthy();
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const same = await api.fhir("GET", `/Patient/${created.id}`, { headers: { "if-none-match": 'W/"1"' } });
    expect(same.status).toBe(304);
    expect(same.text).toBe("");
    const other = await api.fhir("GET", `/Patient/${created.id}`, { headers: { "if-none-match": 'W/"7"' } });
    expect(other.status).toBe(200);
  });

  it("answers 304 to If-Modified-Since at or after the change", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const later = new Date(Date.parse(created.meta!.lastUpdated!) + 2_000).toUTCString();
    const earlier = new Date(Date.parse(created.meta!.lastUpdated!) - 2_000).toUTCString();
    expect((await api.fhir("GET", `/Patient/${created.id}`, { headers: { "if-modified-since": later } })).status).toBe(304);
    expect((await api.fhir("GET", `/Patient/${created.id}`, { headers: { "if-modified-since": earlier } })).status).toBe(200);
  });

  it("reads an old version", async () => {
    const created = await api.createResource({ resourceType: "Patient", active: true });
    await api.fhir("PUT", `/Patient/${created.id}`, { body: { ...created, active: false } });

    const first = await api.fhir("GET", `/Patient/${created.id}/_history/1`);
    expect(first.status).toBe(200);
    expect(first.json.active).toBe(true);
    expect(first.headers.get("etag")).toBe('W/"1"');
    expect((await api.fhir("GET", `/Patient/${created.id}/_history/9`)).status).toBe(404);
    expect((await api.fhir("GET", `/Patient/${created.id}/_history/x`)).status).toBe(400);
  });

  it("treats ids as case-sensitive", async () => {
    await api.fhir("PUT", "/Patient/CaseProbe", { body: { resourceType: "Patient", id: "CaseProbe", active: true } });
    expect((await api.fhir("GET", "/Patient/caseprobe")).status).toBe(404);
    expect((await api.fhir("GET", "/Patient/CaseProbe")).status).toBe(200);
  });

  it("rejects an invalid id", async () => {
    const result = await api.fhir("GET", "/Patient/bad_id!");
    expect(result.status).toBe(400);
    expect(result.json.issue[0].diagnostics).toContain("not a valid id");
  });

  it("keeps unicode exactly", async () => {
    const family = "Ærøskøbing-Müller 東京 \u{1F9EC} e\u0301";
    const created = await api.createResource({ resourceType: "Patient", name: [{ family }] });
    const result = await api.fhir("GET", `/Patient/${created.id}`);
    expect(result.json.name[0].family).toBe(family);
  });

  it("rejects unsupported parameters", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const result = await api.fhir("GET", `/Patient/${created.id}?_summary=true`);
    expect(result.status).toBe(400);
    expect(issueCodes(result.json)).toEqual(["not-supported"]);
  });

  it("keeps decimal precision as written", async () => {
    const raw = '{"resourceType":"Observation","status":"final","code":{"text":"probe"},"valueQuantity":{"value":105.00,"unit":"mg"}}';
    const created = await api.fhir("POST", "/Observation", { raw, headers: { "content-type": "application/fhir+json" } });
    expect(created.text).toContain('"value":105.00');

    const read = await api.fhir("GET", `/Observation/${created.json.id}`);
    expect(read.text).toContain('"value":105.00');
    const pretty = await api.fhir("GET", `/Observation/${created.json.id}?_pretty=true`);
    expect(pretty.text).toContain('"value": 105.00');
    const history = await api.fhir("GET", `/Observation/${created.json.id}/_history`);
    expect(history.text).toContain('"value":105.00');
  });

  it("pretty-prints with _pretty", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const result = await api.fhir("GET", `/Patient/${created.id}?_pretty=true`);
    expect(result.text).toContain('\n  "resourceType": "Patient"');
  });
});

describe("update", () => {
  it("creates with a client id and returns 201", async () => {
    const result = await api.fhir("PUT", "/Patient/client-chosen.1", { body: { resourceType: "Patient", id: "client-chosen.1" } });
    expect(result.status).toBe(201);
    expect(result.headers.get("location")).toBe("http://flint.test/fhir/Patient/client-chosen.1/_history/1");
    expect(result.json.meta.versionId).toBe("1");
  });

  it("updates and returns 200 with the next version", async () => {
    const created = await api.createResource({ resourceType: "Patient", active: true });
    const result = await api.fhir("PUT", `/Patient/${created.id}`, { body: { ...created, active: false } });
    expect(result.status).toBe(200);
    expect(result.headers.get("etag")).toBe('W/"2"');
    expect(result.json.active).toBe(false);
  });

  it.each([
    ["missing", {}],
    ["different", { id: "other" }],
  ])("rejects a %s body id", async (_, fields) => {
    const result = await api.fhir("PUT", "/Patient/url-id", { body: { resourceType: "Patient", ...fields } });
    expect(result.status).toBe(400);
    expect((await api.fhir("GET", "/Patient/url-id")).status).toBe(404);
  });

  it("rejects an id longer than 64 characters", async () => {
    const id = "a".repeat(65);
    const result = await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id } });
    expect(result.status).toBe(400);
  });

  it("rejects a malformed If-Match", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const result = await api.fhir("PUT", `/Patient/${created.id}`, { body: created, headers: { "if-match": "version-1" } });
    expect(result.status).toBe(400);
  });
});

describe("delete", () => {
  it("answers 204 with the deletion version", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const result = await api.fhir("DELETE", `/Patient/${created.id}`);
    expect(result.status).toBe(204);
    expect(result.headers.get("etag")).toBe('W/"2"');
  });

  it("answers an OperationOutcome when asked", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const result = await api.fhir("DELETE", `/Patient/${created.id}`, { headers: { prefer: "return=OperationOutcome" } });
    expect(result.status).toBe(200);
    expect(result.json.issue[0].severity).toBe("information");
  });

  it("checks If-Match", async () => {
    const created = await api.createResource({ resourceType: "Patient" });
    const result = await api.fhir("DELETE", `/Patient/${created.id}`, { headers: { "if-match": 'W/"5"' } });
    expect(result.status).toBe(412);
    expect((await api.fhir("GET", `/Patient/${created.id}`)).status).toBe(200);
  });
});

describe("routing", () => {
  it("answers 405 with Allow for an unsupported method", async () => {
    const result = await api.fhir("PATCH", "/Patient/x", { body: [] });
    expect(result.status).toBe(405);
    expect(result.headers.get("allow")).toBe("GET, PUT, DELETE");
    expect(result.json.resourceType).toBe("OperationOutcome");
  });

  it("answers 404 for an unknown path", async () => {
    const result = await api.fhir("GET", "/Patient/x/y/z/w");
    expect(result.status).toBe(404);
    expect(result.json.resourceType).toBe("OperationOutcome");
  });

  it("tags responses with a request id", async () => {
    const result = await api.fhir("GET", "/metadata");
    expect(result.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("tags error responses with a request id", async () => {
    const missing = await api.fhir("GET", "/Patient/x/y/z/w");
    const notAllowed = await api.fhir("PATCH", "/metadata");
    expect(missing.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(notAllowed.headers.get("allow")).toBe("GET");
  });

  it("tags 404s outside the base path", async () => {
    const response = await api.app.fetch(new Request(`${new URL(BASE).origin}/nope`));
    expect(response.status).toBe(404);
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
