import type { Resource } from "fhir/r4";
import { describe, expect, it } from "vitest";
import { checkTable, DynamoDbRepository, DEFAULT_TRANSACTION_LEASE_MS } from "@flint/dynamodb";
import type { FhirRepository, WriteOperation } from "@flint/repository";
import { FhirError, parseTypeSearch } from "@flint/core";
import { createTestRepository } from "../setup/dynamodb.ts";
import { crashingClient, InjectedFault } from "../support/faults.ts";

const SEEDED = 30;

/** Tells whether an error, or one of its causes, is the injected crash. */
function causedByFault(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    if (current instanceof InjectedFault) return true;
  }
  return false;
}
const CREATED = 60;

function patient(id: string, mrn: string): Resource & { id: string } {
  return { resourceType: "Patient", id, identifier: [{ system: "urn:example:mrn", value: mrn }], active: true } as Resource & { id: string };
}

/** Builds a transaction too large for one TransactWriteItems: updates, creates and a delete. */
function bigTransaction(run: string): WriteOperation[] {
  const operations: WriteOperation[] = [];
  for (let index = 1; index < SEEDED; index++) {
    const resource = patient(`seed-${index}`, `${run}-new-${index}`);
    operations.push({ kind: "update", resourceType: "Patient", id: resource.id, resource, method: "PUT" });
  }
  for (let index = 0; index < CREATED; index++) {
    const id = `${run}-obs-${index}`;
    const resource = { resourceType: "Observation", id, status: "final", code: { text: "probe" }, subject: { reference: "Patient/seed-1" } } as Resource & { id: string };
    operations.push({ kind: "create", resourceType: "Observation", id, resource, method: "POST" });
  }
  operations.push({ kind: "delete", resourceType: "Patient", id: `seed-${SEEDED}`, method: "DELETE" });
  return operations;
}

async function seed(repository: FhirRepository): Promise<void> {
  await repository.transaction(
    Array.from({ length: SEEDED }, (_, index) => {
      const resource = patient(`seed-${index + 1}`, `old-${index + 1}`);
      return { kind: "create" as const, resourceType: "Patient", id: resource.id, resource, method: "POST" as const };
    }),
  );
}

/** Reads everything the transaction touches and reports "old", "new", or "mixed" with details. */
async function observe(repository: FhirRepository, run: string): Promise<string> {
  const states = new Set<string>();
  for (let index = 1; index < SEEDED; index++) {
    const read = await repository.read("Patient", `seed-${index}`);
    states.add(read.versionId === 2 ? "new" : "old");
  }
  for (let index = 0; index < CREATED; index += 7) {
    const read = await repository.read("Observation", `${run}-obs-${index}`).then(
      () => "new",
      (error: FhirError) => (error.kind === "not-found" ? "old" : `error ${error.kind}`),
    );
    states.add(read);
  }
  const deleted = await repository.read("Patient", `seed-${SEEDED}`).then(
    () => "old",
    (error: FhirError) => (error.kind === "deleted" ? "new" : `error ${error.kind}`),
  );
  states.add(deleted);
  const { query } = parseTypeSearch("Patient", new URLSearchParams({ identifier: "urn:example:mrn|", _count: "100" }), "strict");
  const search = await repository.search(query);
  const values = search.entries.map((entry) => (entry.resource as unknown as { identifier: Array<{ value: string }> }).identifier[0]!.value);
  states.add(values.every((value) => value.startsWith(`${run}-new`)) && values.length === SEEDED - 1 ? "new" : values.every((value) => value.startsWith("old")) && values.length === SEEDED ? "old" : "mixed search");
  return states.size === 1 ? [...states][0]! : `mixed: ${[...states].join(", ")}`;
}

describe("multi-step transaction under crashes", () => {
  it("counts the write calls of one run", async () => {
    const { repository, client, tableName } = await createTestRepository();
    await seed(repository);
    const probe = crashingClient(client, { atWrite: Number.MAX_SAFE_INTEGER, when: "before" });
    await new DynamoDbRepository({ client: probe.client, tableName }).transaction(bigTransaction("count"));
    expect(probe.state.writes).toBeGreaterThan(6);
    expect(await observe(repository, "count")).toBe("new");
    expect(await checkTable(client, tableName)).toEqual([]);
  }, 60_000);

  it("is all or nothing after a crash at every write", async () => {
    const { repository: counter, client: countClient, tableName: countTable } = await createTestRepository();
    await seed(counter);
    const probe = crashingClient(countClient, { atWrite: Number.MAX_SAFE_INTEGER, when: "before" });
    await new DynamoDbRepository({ client: probe.client, tableName: countTable }).transaction(bigTransaction("probe"));
    const totalWrites = probe.state.writes;

    const outcomes: string[] = [];
    for (let atWrite = 1; atWrite <= totalWrites; atWrite++) {
      for (const when of ["before", "after"] as const) {
        const label = `crash ${when} write ${atWrite}`;
        const { repository, client, tableName } = await createTestRepository();
        await seed(repository);

        const crashing = crashingClient(client, { atWrite, when });
        const run = `r${atWrite}${when[0]}`;
        const error = await new DynamoDbRepository({ client: crashing.client, tableName }).transaction(bigTransaction(run)).then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(causedByFault(error), `${label}: ${String(error)}`).toBe(true);

        const before = await observe(repository, run);
        expect(before, `${label}: readers before recovery`).not.toMatch(/mixed|error/);

        const later = () => new Date(Date.now() + DEFAULT_TRANSACTION_LEASE_MS + 60_000);
        const recovering = new DynamoDbRepository({ client, tableName, now: later });
        await recovering.recover();
        const after = await observe(repository, run);
        expect(after, `${label}: readers after recovery`).not.toMatch(/mixed|error/);
        if (before === "new") expect(after, `${label}: a visible commit stays visible`).toBe("new");
        expect(await checkTable(client, tableName), `${label}: table after recovery`).toEqual([]);
        outcomes.push(after);
      }
    }
    expect(outcomes).toContain("new");
    expect(outcomes).toContain("old");
  }, 600_000);
});
