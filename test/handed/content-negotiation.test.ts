import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
let id: string;
beforeAll(async () => {
  api = await createTestApp();
  id = (await api.createResource({ resourceType: "Patient", active: true })).id;
});

describe("content negotiation", () => {
  it("unsupported _format gives 406, not 415", async () => {
    const result = await api.fhir("GET", "/Patient/_history?_format=application/x-unknown");
    expect(result.status).toBe(406);
    expect(result.json.resourceType).toBe("OperationOutcome");
  });

  it("unsupported Accept gives 406", async () => {
    expect((await api.fhir("GET", `/Patient/${id}`, { headers: { accept: "application/x-unknown" } })).status).toBe(406);
    expect((await api.fhir("GET", `/Patient/${id}`, { headers: { accept: "application/fhir+xml" } })).status).toBe(406);
    expect((await api.fhir("GET", `/Patient/${id}`, { headers: { accept: "application/fhir+json; fhirVersion=3.0" } })).status).toBe(406);
  });

  it("unsupported Content-Type gives 415", async () => {
    const result = await api.fhir("POST", "/Patient", { raw: '{"resourceType":"Patient"}', headers: { "content-type": "application/x-unknown" } });
    expect(result.status).toBe(415);
    expect(result.json.resourceType).toBe("OperationOutcome");
    const xml = await api.fhir("POST", "/Patient", { raw: "<Patient/>", headers: { "content-type": "application/fhir+xml" } });
    expect(xml.status).toBe(415);
  });

  it("_format json overrides Accept", async () => {
    const result = await api.fhir("GET", `/Patient/${id}?_format=json`, { headers: { accept: "application/fhir+xml" } });
    expect(result.status).toBe(200);
    expect(result.json.resourceType).toBe("Patient");
  });

  it.each(["application/json", "application/fhir+json", "application/json+fhir", "*/*", "text/html,application/xhtml+xml,*/*;q=0.8"])(
    "Accept %s gives JSON",
    async (accept) => {
      const result = await api.fhir("GET", `/Patient/${id}`, { headers: { accept } });
      expect(result.status).toBe(200);
      expect(result.json.resourceType).toBe("Patient");
    },
  );

  it("metadata answers application/fhir+json", async () => {
    const result = await api.fhir("GET", "/metadata", { headers: { accept: "application/fhir+json" } });
    expect(result.status).toBe(200);
    expect(result.headers.get("content-type")).toMatch(/^application\/fhir\+json/);
  });

  it("application/json body is accepted", async () => {
    const result = await api.fhir("POST", "/Patient", { raw: '{"resourceType":"Patient"}', headers: { "content-type": "application/json; charset=utf-8" } });
    expect(result.status).toBe(201);
  });
});
