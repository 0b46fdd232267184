import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
const run = crypto.randomUUID().slice(0, 8);
let alice: string;
let bob: string;
let heavy: string;
let light: string;

function ids(bundle: any): string[] {
  return (bundle.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => entry.resource.id).sort();
}

async function search(query: string): Promise<string[]> {
  const result = await api.fhir("GET", query, { headers: { prefer: "handling=strict" } });
  expect(result.status, `${query}: ${result.text.slice(0, 300)}`).toBe(200);
  return ids(result.json);
}

beforeAll(async () => {
  api = await createTestApp();
  alice = (await api.createResource({ resourceType: "Patient", gender: "female", birthDate: "1980-04-02", name: [{ family: `Alvarez-${run}`, given: ["Alice"] }] } as any)).id;
  bob = (await api.createResource({ resourceType: "Patient", gender: "male", birthDate: "1975-11-30", name: [{ family: `Brandt-${run}`, given: ["Bob"] }] } as any)).id;
  const weight = (patient: string, value: number, unit: string, date: string) => ({
    resourceType: "Observation",
    status: "final",
    code: { coding: [{ system: "http://loinc.org", code: "29463-7", display: "Body weight" }], text: `weight ${run}` },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: date,
    valueQuantity: { value, unit, system: "http://unitsofmeasure.org", code: unit },
  });
  heavy = (await api.createResource(weight(alice, 72500, "g", "2024-03-01T10:00:00Z") as any)).id;
  light = (await api.createResource(weight(bob, 61.2, "kg", "2023-07-15T08:30:00Z") as any)).id;
});

describe("search by parameter type", () => {
  it("token and reference together", async () => {
    expect(await search(`/Observation?subject=Patient/${alice}&code=http://loinc.org|29463-7`)).toEqual([heavy]);
    expect(await search(`/Observation?subject=Patient/${bob}&code=29463-7`)).toEqual([light]);
  });

  it("sharded token without system", async () => {
    expect(await search(`/Patient?family=alvarez-${run}&gender=female`)).toEqual([alice]);
    expect(await search(`/Patient?family=alvarez-${run}&gender=male`)).toEqual([]);
  });

  it("string prefix from the index", async () => {
    expect(await search(`/Patient?family=brandt-${run}`)).toEqual([bob]);
    expect(await search(`/Patient?name=BRANDT-${run.toUpperCase()}`)).toEqual([bob]);
  });

  it("date prefixes", async () => {
    const both = [heavy, light].sort();
    expect(await search(`/Observation?code=29463-7&code:text=weight ${run}`)).toEqual(both);
    expect(await search(`/Observation?code:text=weight ${run}&date=ge2024`)).toEqual([heavy]);
    expect(await search(`/Observation?code:text=weight ${run}&date=lt2024-01-01`)).toEqual([light]);
    expect(await search(`/Observation?code:text=weight ${run}&date=2023-07`)).toEqual([light]);
    expect(await search(`/Patient?family=alvarez-${run}&birthdate=1980`)).toEqual([alice]);
  });

  it("quantity across UCUM units", async () => {
    expect(await search(`/Observation?subject=Patient/${alice}&value-quantity=gt70|http://unitsofmeasure.org|kg`)).toEqual([heavy]);
    expect(await search(`/Observation?subject=Patient/${bob}&value-quantity=lt65000|http://unitsofmeasure.org|g`)).toEqual([light]);
    expect(await search(`/Observation?subject=Patient/${bob}&value-quantity=gt65000|http://unitsofmeasure.org|g`)).toEqual([]);
  });

  it("composite code and value", async () => {
    expect(await search(`/Observation?subject=Patient/${alice}&code-value-quantity=http://loinc.org|29463-7$gt70|http://unitsofmeasure.org|kg`)).toEqual([heavy]);
    expect(await search(`/Observation?subject=Patient/${bob}&code-value-quantity=http://loinc.org|29463-7$gt70|http://unitsofmeasure.org|kg`)).toEqual([]);
  });

  it("not and missing modifiers", async () => {
    expect(await search(`/Patient?family=alvarez-${run}&gender:not=male`)).toEqual([alice]);
    expect(await search(`/Patient?_id=${alice},${bob}&birthdate:missing=false`)).toEqual([alice, bob].sort());
  });

  it("uri below", async () => {
    const valueSet = await api.createResource({ resourceType: "ValueSet", status: "active", url: `http://example.org/fhir/ValueSet/${run}/colors` } as any);
    expect(await search(`/ValueSet?url:below=http://example.org/fhir/ValueSet/${run}`)).toEqual([valueSet.id]);
    expect(await search(`/ValueSet?url=http://example.org/fhir/ValueSet/${run}/colors`)).toEqual([valueSet.id]);
  });
});
