import type { Resource } from "fhir/r4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDatabase } from "./check.ts";
import type { SqlClient } from "./client.ts";
import { closeFilePglite, filePglite, freshSchema } from "./test-support.ts";
import { createPostgresRepository, type PostgresRepository } from "./repository.ts";

type Stored = Resource & { id: string };

const OBSERVATION = {
  resourceType: "Observation",
  id: "o1",
  status: "final",
  code: { coding: [{ system: "http://loinc.org", code: "8867-4" }], text: "Heart rate" },
  subject: { reference: "Patient/p1" },
  effectiveDateTime: "2024-05-01T10:00:00Z",
  valueQuantity: { value: 72, unit: "beats/minute", system: "http://unitsofmeasure.org", code: "/min" },
} as Stored;

describe("checkDatabase", () => {
  let client: SqlClient;
  let repository: PostgresRepository;
  let schema: string;

  beforeAll(async () => {
    client = await filePglite();
    schema = freshSchema("check");
    repository = await createPostgresRepository({ client, schema });
    await repository.create({ resourceType: "Patient", id: "p1", name: [{ family: "Chalmers" }], birthDate: "1974-12-25" } as Stored);
    await repository.update({ resourceType: "Patient", id: "p1", name: [{ family: "Chalmers", given: ["Peter"] }], birthDate: "1974-12-25" } as Stored);
    await repository.create(OBSERVATION);
    await repository.create({ ...OBSERVATION, id: "o2" });
    await repository.create({ resourceType: "Patient", id: "gone", active: true } as Stored);
    await repository.delete("Patient", "gone");
  });

  afterAll(closeFilePglite);

  it("clean store has no findings", async () => {
    expect(await checkDatabase(client, schema)).toEqual([]);
  });

  it("finds every planted inconsistency", async () => {
    const t = (name: string) => `"${schema}"."${name}"`;
    await client.query(`DELETE FROM ${t("search_quantity")} WHERE id = 'o2'`);
    await client.query(`INSERT INTO ${t("search_string")} (type, id, param, value) VALUES ('Patient', 'gone', 'name', 'ghost')`);
    await client.query(`UPDATE ${t("search_date")} SET lo = lo + 1 WHERE id = 'p1'`);
    await client.query(`DELETE FROM ${t("resource_version")} WHERE id = 'p1' AND vid = 1`);
    await client.query(`UPDATE ${t("resource")} SET content = '{"resourceType":"Observation","id":"o1","status":"amended"}' WHERE id = 'o1'`);
    await client.query(`INSERT INTO ${t("search_token")} (type, id, param, system, code) VALUES ('Patient', 'nobody', 'active', '', 'true')`);

    const problems = (await checkDatabase(client, schema)).map((finding) => `${finding.keys[0]}: ${finding.problem}`);
    expect(problems).toContain("Observation/o2: quantity index row missing");
    expect(problems).toContain("Patient/gone: deleted resource still has 1 string index rows");
    expect(problems).toContain("Patient/p1: date index row missing");
    expect(problems).toContain("Patient/p1: date index row left over");
    expect(problems).toContain("Patient/p1: versions 2 do not run from 1 to 2");
    expect(problems).toContain("Observation/o1: resource row and latest version differ");
    expect(problems).toContain("Observation/o1: token index row left over");
    expect(problems).toContain("Patient/nobody: token index rows of a resource without a resource row");
  });
});
