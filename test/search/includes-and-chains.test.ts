import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
const run = crypto.randomUUID().slice(0, 8);
let patient: string;
let organization: string;
let practitioner: string;
let observation: string;

function entries(bundle: any, mode: string): string[] {
  return (bundle.entry ?? []).filter((entry: any) => entry.search?.mode === mode).map((entry: any) => `${entry.resource.resourceType}/${entry.resource.id}`).sort();
}

async function search(path: string): Promise<any> {
  const result = await api.fhir("GET", path, { headers: { prefer: "handling=strict" } });
  expect(result.status, `${path}: ${result.text.slice(0, 300)}`).toBe(200);
  return result.json;
}

beforeAll(async () => {
  api = await createTestApp();
  organization = (await api.createResource({ resourceType: "Organization", name: `Org ${run}` } as any)).id;
  practitioner = (await api.createResource({ resourceType: "Practitioner", name: [{ family: `Doc${run}` }] } as any)).id;
  patient = (
    await api.createResource({
      resourceType: "Patient",
      identifier: [{ system: "urn:example:mrn", value: `mrn-${run}` }],
      managingOrganization: { reference: `Organization/${organization}` },
      generalPractitioner: [{ reference: `Practitioner/${practitioner}` }],
    } as any)
  ).id;
  observation = (await api.createResource({ resourceType: "Observation", status: "final", code: { text: run }, subject: { reference: `Patient/${patient}` } } as any)).id;
});

describe("includes and chains", () => {
  it("_include=* follows every reference of each match", async () => {
    const bundle = await search(`/Patient?_id=${patient}&_include=*`);
    expect(entries(bundle, "match")).toEqual([`Patient/${patient}`]);
    expect(entries(bundle, "include")).toEqual([`Organization/${organization}`, `Practitioner/${practitioner}`].sort());
  });

  it("_revinclude=* is rejected under strict handling", async () => {
    const result = await api.fhir("GET", `/Patient?_id=${patient}&_revinclude=*`, { headers: { prefer: "handling=strict" } });
    expect(result.status).toBe(400);
    expect(result.text).toContain("_revinclude");
  });

  it("patient.identifier chains through Patient", async () => {
    const bundle = await search(`/Observation?patient.identifier=urn:example:mrn|mrn-${run}`);
    expect(entries(bundle, "match")).toEqual([`Observation/${observation}`]);
  });

  it("a search without results has no entry element", async () => {
    const bundle = await search(`/Observation?code:text=nothing-${run}-matches&subject=Patient/${patient}`);
    expect(bundle).not.toHaveProperty("entry");
  });

  it("the CapabilityStatement does not call batch atomic", async () => {
    const statement = (await api.fhir("GET", "/metadata")).json;
    const batch = statement.rest[0].interaction.find((interaction: any) => interaction.code === "batch");
    expect(batch.documentation).toContain("on its own");
    expect(batch.documentation).not.toMatch(/atomic|all or nothing/i);
  });
});
