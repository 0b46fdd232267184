import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
const family = `Resultprobe${crypto.randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  api = await createTestApp();
  for (const gender of ["female", "male", "female"]) {
    await api.createResource({ resourceType: "Patient", gender, birthDate: "1970-01-01", name: [{ family }], text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } } as any);
  }
});

describe("search result parameters", () => {
  it("_total=accurate counts every match", async () => {
    const result = await api.fhir("GET", `/Patient?family=${family}&_count=1&_total=accurate`);
    expect(result.json.total).toBe(3);
    expect(result.json.entry.filter((entry: any) => entry.search.mode === "match")).toHaveLength(1);
  });

  it("_summary=count returns only the total", async () => {
    const result = await api.fhir("GET", `/Patient?family=${family}&gender=female&_summary=count`);
    expect(result.json.total).toBe(2);
    expect(result.json.entry ?? []).toEqual([]);
  });

  it("_elements keeps listed and mandatory elements", async () => {
    const result = await api.fhir("GET", `/Patient?family=${family}&_elements=gender`);
    const patient = result.json.entry[0].resource;
    expect(Object.keys(patient).sort()).toEqual(["gender", "id", "meta", "resourceType"]);
    expect(patient.meta.tag).toContainEqual({ system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", code: "SUBSETTED" });
  });

  it("_summary=data drops the narrative", async () => {
    const result = await api.fhir("GET", `/Patient?family=${family}&_summary=data`);
    const patient = result.json.entry[0].resource;
    expect(patient.text).toBeUndefined();
    expect(patient.birthDate).toBe("1970-01-01");
  });

  it("_summary=true is accepted under strict handling", async () => {
    const result = await api.fhir("GET", `/Patient?family=${family}&_summary=true`, { headers: { prefer: "handling=strict" } });
    expect(result.status).toBe(200);
  });
});
