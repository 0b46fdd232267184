import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp();
});

describe("versioning", () => {
  it("instance history lists newest version first", async () => {
    const created = await api.fhir("POST", "/Patient", { body: { resourceType: "Patient", active: true } });
    expect(created.headers.get("etag")).toBe('W/"1"');
    const id = created.json.id;
    expect((await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, active: false } })).headers.get("etag")).toBe('W/"2"');
    expect((await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, active: true } })).headers.get("etag")).toBe('W/"3"');

    const history = await api.fhir("GET", `/Patient/${id}/_history`);
    expect(history.json.type).toBe("history");
    expect(history.json.entry.map((entry: any) => entry.resource.meta.versionId)).toEqual(["3", "2", "1"]);
    expect(history.json.entry.map((entry: any) => entry.request.method)).toEqual(["PUT", "PUT", "POST"]);
    for (const entry of history.json.entry) expect(entry.response.status).toMatch(/^20[01]$/);
  });

  it("delete is idempotent, read gives 410, and PUT revives", async () => {
    const created = await api.fhir("POST", "/Patient", { body: { resourceType: "Patient", name: [{ family: "Delprobe" }] } });
    const id = created.json.id;

    expect([200, 204]).toContain((await api.fhir("DELETE", `/Patient/${id}`)).status);
    expect([200, 204]).toContain((await api.fhir("DELETE", `/Patient/${id}`)).status);
    const gone = await api.fhir("GET", `/Patient/${id}`);
    expect(gone.status).toBe(410);
    expect(gone.json.issue[0].code).toBe("deleted");
    expect((await api.fhir("GET", "/Patient/never-existed-xyz")).status).toBe(404);
    expect([200, 204]).toContain((await api.fhir("DELETE", "/Patient/never-existed-xyz")).status);
    expect((await api.fhir("GET", `/Patient/${id}/_history/1`)).status).toBe(200);
    expect((await api.fhir("GET", `/Patient/${id}/_history/2`)).status).toBe(410);

    const revived = await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, name: [{ family: "Delprobe" }] } });
    expect([200, 201]).toContain(revived.status);
    expect(revived.json.meta.versionId).toBe("3");
    expect((await api.fhir("GET", `/Patient/${id}`)).status).toBe(200);
  });

  it("stale If-Match is rejected without losing the update", async () => {
    const created = await api.fhir("POST", "/Patient", { body: { resourceType: "Patient", active: true } });
    const id = created.json.id;

    const first = await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, active: false }, headers: { "if-match": 'W/"1"' } });
    expect(first.status).toBe(200);
    expect(first.headers.get("etag")).toBe('W/"2"');
    const stale = await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, active: true }, headers: { "if-match": 'W/"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.json.resourceType).toBe("OperationOutcome");

    const current = await api.fhir("GET", `/Patient/${id}`);
    expect(current.json.meta.versionId).toBe("2");
    expect(current.json.active).toBe(false);
  });
});
