import type { Resource } from "fhir/r4";
import { describe, expect, it } from "vitest";
import { checkTable } from "@flint/dynamodb";
import { OperationError, type FhirRepository, type WriteOperation } from "@flint/repository";
import { createTestRepository } from "../setup/dynamodb.ts";

/** Operations that touch `shared` and enough other resources to need the multi-step protocol (when `size` is large). */
function transactionTouching(shared: string, label: string, size: number, ifMatch?: number): WriteOperation[] {
  const operations: WriteOperation[] = [];
  const resource = { resourceType: "Patient", id: shared, name: [{ family: label }] } as Resource & { id: string };
  operations.push({ kind: "update", resourceType: "Patient", id: shared, resource, method: "PUT", ...(ifMatch === undefined ? {} : { ifMatch }) });
  for (let index = 0; index < size; index++) {
    const id = `${label}-${index}`;
    operations.push({ kind: "create", resourceType: "Basic", id, resource: { resourceType: "Basic", id, code: { text: label } } as Resource & { id: string }, method: "POST" });
  }
  return operations;
}

async function familyHistory(repository: FhirRepository, id: string): Promise<Array<{ version: number; family: string | undefined }>> {
  const page = await repository.history({ resourceType: "Patient", id, count: 100 });
  return page.entries.map((entry) => ({ version: entry.versionId, family: (entry.resource as { name?: Array<{ family?: string }> } | undefined)?.name?.[0]?.family }));
}

describe("concurrent transactions", () => {
  for (const [label, size] of [["one call", 3], ["multi-step", 80]] as const) {
    it(`${label}: pinned versions have one winner`, async () => {
      const { repository, client, tableName } = await createTestRepository();
      await repository.create({ resourceType: "Patient", id: "shared", name: [{ family: "start" }] } as Resource & { id: string });

      const attempts = await Promise.allSettled(["a", "b", "c"].map((name) => repository.transaction(transactionTouching("shared", `${name}${size}`, size, 1))));
      const winners = attempts.filter((attempt) => attempt.status === "fulfilled");
      expect(winners).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === "rejected") expect((attempt.reason as OperationError).reason).toBe("version");
      }

      const history = await familyHistory(repository, "shared");
      expect(history.map((entry) => entry.version)).toEqual([2, 1]);
      expect(await checkTable(client, tableName)).toEqual([]);
    }, 60_000);

    it(`${label}: unpinned writers all commit in turn`, async () => {
      const { repository, client, tableName } = await createTestRepository();
      await repository.create({ resourceType: "Patient", id: "shared", name: [{ family: "start" }] } as Resource & { id: string });

      const names = ["a", "b", "c"];
      const attempts = await Promise.allSettled(names.map((name) => repository.transaction(transactionTouching("shared", `${name}${size}`, size))));
      const committed = attempts.filter((attempt) => attempt.status === "fulfilled").length;
      expect(committed).toBeGreaterThanOrEqual(1);

      const history = await familyHistory(repository, "shared");
      expect(history.map((entry) => entry.version)).toEqual(Array.from({ length: committed + 1 }, (_, index) => committed + 1 - index));
      const families = history.slice(0, committed).map((entry) => entry.family);
      expect(new Set(families).size).toBe(committed);
      expect(await checkTable(client, tableName)).toEqual([]);
    }, 60_000);
  }
});
