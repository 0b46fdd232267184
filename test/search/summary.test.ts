import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
const family = `Summaryprobe${crypto.randomUUID().slice(0, 6)}`;
const SUBSETTED = { system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", code: "SUBSETTED" };
let patientId: string;
let otherId: string;
let observationId: string;
let encounterId: string;

/** Runs a search under strict handling and returns its first match. */
async function firstMatch(query: string): Promise<{ resource: any; text: string; bundle: any }> {
  const result = await api.fhir("GET", query, { headers: { prefer: "handling=strict" } });
  expect(result.status, result.text.slice(0, 300)).toBe(200);
  const match = result.json.entry.find((entry: any) => entry.search.mode === "match");
  return { resource: match.resource, text: result.text, bundle: result.json };
}

beforeAll(async () => {
  api = await createTestApp();
  otherId = (await api.createResource({ resourceType: "Patient", name: [{ family: `${family}-other` }] })).id;
  const patient = await api.createResource({
    resourceType: "Patient",
    text: { status: "generated", div: '<div xmlns="http://www.w3.org/1999/xhtml">Ann Lee</div>' },
    name: [{ family, given: ["Ann"] }],
    gender: "female",
    birthDate: "1970-01-01",
    _birthDate: { extension: [{ url: "http://hl7.org/fhir/StructureDefinition/patient-birthTime", valueDateTime: "1970-01-01T10:00:00Z" }] },
    maritalStatus: { text: "married" },
    contact: [{ relationship: [{ text: "sister" }], name: { family, given: ["Bea"] }, telecom: [{ system: "phone", value: "555-0100" }] }],
    communication: [{ language: { coding: [{ system: "urn:ietf:bcp:47", code: "en" }] }, preferred: true }],
    link: [{ id: "link-1", other: { reference: `Patient/${otherId}` }, type: "seealso" }],
  } as any);
  patientId = patient.id;

  const raw =
    '{"resourceType":"Observation","status":"final","category":[{"text":"vital-signs"}],' +
    `"code":{"coding":[{"system":"http://loinc.org","code":"29463-7"}],"text":"${family}"},` +
    `"subject":{"reference":"Patient/${patientId}"},"valueQuantity":{"value":105.00,"unit":"kg","system":"http://unitsofmeasure.org","code":"kg"},` +
    '"note":[{"text":"after lunch"}]}';
  const created = await api.fhir("POST", "/Observation", { raw, headers: { "content-type": "application/fhir+json" } });
  expect(created.status, created.text).toBe(201);
  observationId = created.json.id;

  encounterId = (
    await api.createResource({
      resourceType: "Encounter",
      status: "finished",
      class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB" },
      subject: { reference: `Patient/${patientId}` },
      participant: [{ type: [{ text: "attender" }], individual: { reference: "Practitioner/doc-1" }, period: { start: "2024-01-01T09:00:00Z" } }],
      location: [{ location: { reference: "Location/ward-1" }, status: "completed" }],
      diagnosis: [{ condition: { reference: "Condition/c-1" }, rank: 1 }],
    } as any)
  ).id;
});

describe("_summary=true in search results", () => {
  it("keeps summary elements of a Patient", async () => {
    const { resource } = await firstMatch(`/Patient?_id=${patientId}&_summary=true`);
    expect(resource.id).toBe(patientId);
    expect(resource.name).toEqual([{ family, given: ["Ann"] }]);
    expect(resource.gender).toBe("female");
    expect(resource.birthDate).toBe("1970-01-01");
    expect(resource._birthDate.extension[0].valueDateTime).toBe("1970-01-01T10:00:00Z");
  });

  it("drops non-summary elements of a Patient", async () => {
    const { resource } = await firstMatch(`/Patient?_id=${patientId}&_summary=true`);
    expect(resource.text).toBeUndefined();
    expect(resource.contact).toBeUndefined();
    expect(resource.communication).toBeUndefined();
    expect(resource.maritalStatus).toBeUndefined();
  });

  it("keeps only summary children of Patient.link", async () => {
    const { resource } = await firstMatch(`/Patient?_id=${patientId}&_summary=true`);
    expect(resource.link).toEqual([{ other: { reference: `Patient/${otherId}` }, type: "seealso" }]);
  });

  it("tags results SUBSETTED and keeps meta", async () => {
    const { resource } = await firstMatch(`/Patient?_id=${patientId}&_summary=true`);
    expect(resource.meta.tag).toContainEqual(SUBSETTED);
    expect(resource.meta.versionId).toBe("1");
  });

  it("is applied without warnings", async () => {
    const result = await api.fhir("GET", `/Patient?_id=${patientId}&_summary=true`);
    expect(result.status).toBe(200);
    expect(result.json.entry.filter((entry: any) => entry.search.mode === "outcome")).toEqual([]);
    expect(result.json.link[0].url).toContain("_summary=true");
  });

  it("keeps decimals as written", async () => {
    const { resource, text } = await firstMatch(`/Observation?_id=${observationId}&_summary=true`);
    expect(text).toContain('"valueQuantity":{"value":105.00,"unit":"kg"');
    expect(resource.code.text).toBe(family);
    expect(resource.subject.reference).toBe(`Patient/${patientId}`);
    expect(resource.category).toBeUndefined();
    expect(resource.note).toBeUndefined();
  });

  it("filters Encounter backbone elements", async () => {
    const { resource } = await firstMatch(`/Encounter?_id=${encounterId}&_summary=true`);
    expect(resource.status).toBe("finished");
    expect(resource.class.code).toBe("AMB");
    expect(resource.participant).toEqual([{ type: [{ text: "attender" }], individual: { reference: "Practitioner/doc-1" } }]);
    expect(resource.diagnosis).toEqual([{ condition: { reference: "Condition/c-1" } }]);
    expect(resource.location).toBeUndefined();
  });
});
