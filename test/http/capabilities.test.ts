import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp();
});

describe("capabilities", () => {
  it("states R4 and only working interactions", async () => {
    const result = await api.fhir("GET", "/metadata");
    expect(result.status).toBe(200);
    expect(result.json.resourceType).toBe("CapabilityStatement");
    expect(result.json.fhirVersion).toBe("4.0.1");
    expect(result.json.kind).toBe("instance");

    const rest = result.json.rest[0];
    expect(rest.interaction.map((entry: any) => entry.code).sort()).toEqual(["batch", "history-system", "search-system", "transaction"]);
    const transaction = rest.interaction.find((entry: any) => entry.code === "transaction");
    expect(transaction.documentation).toContain("10000 entries");
    const patient = rest.resource.find((resource: any) => resource.type === "Patient");
    expect(patient.interaction.map((entry: any) => entry.code).sort()).toEqual(
      ["create", "delete", "history-instance", "history-type", "read", "search-type", "update", "vread"].sort(),
    );
    expect(patient.versioning).toBe("versioned-update");
    expect(patient.updateCreate).toBe(true);
    expect(patient.conditionalCreate).toBe(true);
    expect(patient.conditionalUpdate).toBe(true);
    expect(patient.conditionalDelete).toBe("single");
    expect(patient.conditionalRead).toBe("full-support");
    const names = patient.searchParam.map((parameter: any) => parameter.name);
    for (const name of ["_id", "_lastUpdated", "identifier", "name", "family", "birthdate", "gender", "general-practitioner"]) expect(names).toContain(name);
    expect(names).not.toContain("_content");
    expect(patient.searchInclude).toContain("Patient:general-practitioner");
    expect(patient.searchRevInclude).toContain("Observation:subject");
    expect(rest.resource).toHaveLength(146);
  });

  it("lists no interaction without a route", async () => {
    const result = await api.fhir("GET", "/metadata");
    const codes = new Set(result.json.rest[0].resource.flatMap((resource: any) => resource.interaction.map((entry: any) => entry.code)));
    expect(codes.has("patch")).toBe(false);
    expect(codes.has("conditional-update")).toBe(false);
  });
});
