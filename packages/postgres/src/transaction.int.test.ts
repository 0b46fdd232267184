import type { Resource } from "fhir/r4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FhirError, parseTypeSearch, type SearchQuery } from "@flint/core";
import { OperationError, type WriteOperation } from "@flint/repository";
import type { SqlClient } from "./client.ts";
import type { PostgresRepository } from "./repository.ts";
import { migrate } from "./schema.ts";
import { closeFilePglite, filePglite, freshSchema, repositoryIn } from "./test-support.ts";

type Stored = Resource & { id: string };

function patient(id: string, fields: Record<string, unknown> = {}): Stored {
  return { resourceType: "Patient", id, ...fields } as Stored;
}

function create(resource: Stored, extra: Partial<WriteOperation> = {}): WriteOperation {
  return { kind: "create", resourceType: resource.resourceType, id: resource.id, resource, method: "POST", ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

function query(type: string, text: string): SearchQuery {
  return parseTypeSearch(type, new URLSearchParams(text), "strict").query;
}

describe("transactions on PGlite", () => {
  let client: SqlClient;
  let repository: PostgresRepository;

  beforeAll(async () => {
    client = await filePglite();
    repository = await repositoryIn(client, "transactions");
  });

  afterAll(closeFilePglite);

  it("commits a bundle of 3,000 creates", async () => {
    const operations = Array.from({ length: 3_000 }, (_, index) => create(patient(`bulk-${index}`, { identifier: [{ system: "urn:bulk", value: String(index) }] })));
    const results = await repository.transaction(operations);

    expect(results).toHaveLength(3_000);
    expect(results.every((result) => result.written && result.created)).toBe(true);
    expect((await repository.read("Patient", "bulk-2999")).versionId).toBe(1);
    const found = await repository.search(query("Patient", "identifier=urn:bulk|1234"));
    expect(found.entries.map((entry) => entry.id)).toEqual(["bulk-1234"]);
  });

  it("rolls back a large bundle when its last operation fails", async () => {
    await repository.create(patient("pinned"));
    await repository.update(patient("pinned", { active: true }));
    const operations = [
      ...Array.from({ length: 2_000 }, (_, index) => create(patient(`rolled-${index}`))),
      { kind: "update", resourceType: "Patient", id: "pinned", resource: patient("pinned", { active: false }), method: "PUT", ifMatch: 1 } satisfies WriteOperation,
    ];

    const error = await rejection(repository.transaction(operations));
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).reason).toBe("version");
    expect((error as OperationError).operation).toBe(2_000);
    await expect(repository.read("Patient", "rolled-0")).rejects.toMatchObject({ kind: "not-found" });
    await expect(repository.read("Patient", "rolled-1999")).rejects.toMatchObject({ kind: "not-found" });
    expect((await repository.read("Patient", "pinned")).versionId).toBe(2);
  });

  it("rejects two operations on one resource", async () => {
    const error = await rejection(repository.transaction([create(patient("twice")), { kind: "delete", resourceType: "Patient", id: "twice", method: "DELETE" }]));
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).reason).toBe("conflict");
    expect((error as OperationError).operation).toBe(1);
  });

  it("rejects a create of an existing id", async () => {
    await repository.create(patient("taken"));
    const error = await rejection(repository.transaction([create(patient("free")), create(patient("taken"))]));
    expect((error as OperationError).reason).toBe("exists");
    expect((error as OperationError).operation).toBe(1);
    await expect(repository.read("Patient", "free")).rejects.toMatchObject({ kind: "not-found" });
  });

  it("applies every operation kind", async () => {
    await repository.create(patient("kind-update"));
    await repository.create(patient("kind-delete"));
    await repository.create(patient("kind-revive"));
    await repository.delete("Patient", "kind-revive");

    const results = await repository.transaction([
      create(patient("kind-create")),
      { kind: "update", resourceType: "Patient", id: "kind-update", resource: patient("kind-update", { active: true }), method: "PUT" },
      { kind: "delete", resourceType: "Patient", id: "kind-delete", method: "DELETE" },
      { kind: "delete", resourceType: "Patient", id: "kind-absent", method: "DELETE" },
      { kind: "update", resourceType: "Patient", id: "kind-revive", resource: patient("kind-revive"), method: "PUT" },
      { kind: "delete", resourceType: "Patient", id: "kind-revive-gone", method: "DELETE" },
    ]);

    expect(results.map((result) => [result.written, result.created, result.version?.versionId])).toEqual([
      [true, true, 1],
      [true, false, 2],
      [true, false, 2],
      [false, false, undefined],
      [true, true, 3],
      [false, false, undefined],
    ]);
    expect(results[2]!.version!.deleted).toBe(true);
    await expect(repository.read("Patient", "kind-delete")).rejects.toMatchObject({ kind: "deleted" });
  });

  it("claims the criteria of a conditional create", async () => {
    const criteria = query("Patient", "identifier=urn:claim|42");
    const matching = { identifier: [{ system: "urn:claim", value: "42" }] };
    await repository.transaction([create(patient("claim-1", matching), { conditional: criteria })]);

    const error = await rejection(repository.transaction([create(patient("claim-2", matching), { conditional: criteria })]));
    expect(error).toBeInstanceOf(OperationError);
    expect((error as OperationError).reason).toBe("claimed");
    await expect(repository.read("Patient", "claim-2")).rejects.toMatchObject({ kind: "not-found" });

    // Once the claimed resource no longer matches, a new conditional create takes the claim over.
    await repository.update(patient("claim-1"));
    await repository.transaction([create(patient("claim-3", matching), { conditional: criteria })]);
    expect((await repository.read("Patient", "claim-3")).versionId).toBe(1);
  });

  it("keeps decimals as written", async () => {
    const source = '{"resourceType":"Observation","id":"decimal","status":"final","code":{"text":"x"},"valueQuantity":{"value":105.00,"unit":"mg"}}';
    const resource = JSON.parse(source) as Stored;
    await repository.create(resource, { source });
    await repository.update(resource, { source });

    expect((await repository.read("Observation", "decimal")).json).toContain('"value":105.00');
    expect((await repository.vread("Observation", "decimal", 1)).json).toContain('"value":105.00');
    const history = await repository.history({ resourceType: "Observation", id: "decimal", count: 5 });
    expect(history.entries.map((entry) => entry.json?.includes('"value":105.00'))).toEqual([true, true]);
    const found = await repository.search(query("Observation", "value-quantity=105"));
    expect(found.entries[0]?.json).toContain('"value":105.00');
  });

  it("reports a failed write as a FhirError", async () => {
    await repository.create(patient("single"));
    const error = await rejection(repository.update(patient("single"), { ifMatch: 7 }));
    expect(error).toBeInstanceOf(FhirError);
    expect((error as FhirError).kind).toBe("precondition-failed");
  });
});

describe("migrations on PGlite", () => {
  it("apply once when run twice", async () => {
    const client = await filePglite();
    const schema = freshSchema("migrate");
    await migrate(client, schema);
    await migrate(client, schema);
    const rows = await client.query<{ count: number }>(`SELECT count(*)::integer AS count FROM "${schema}".flint_migrations`);
    expect(rows[0]?.count).toBe(1);
  });

  it("reject a schema from a newer Flint", async () => {
    const client = await filePglite();
    const schema = freshSchema("migrate");
    await migrate(client, schema);
    await client.query(`INSERT INTO "${schema}".flint_migrations (version, name) VALUES (999, 'future')`);
    await expect(migrate(client, schema)).rejects.toThrow(/migration 999/);
  });

  it("reject an invalid schema name", async () => {
    await expect(migrate(await filePglite(), 'bad"name')).rejects.toThrow(/Invalid PostgreSQL schema name/);
  });
});
