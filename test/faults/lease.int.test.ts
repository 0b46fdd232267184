import type { Resource } from "fhir/r4";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { checkTable, DynamoDbRepository } from "@flint/dynamodb";
import { createTestRepository } from "../setup/dynamodb.ts";

/** Delays every call of the real client, as a slow or overloaded store would. */
function slowClient(real: DynamoDBDocumentClient, delayMs: number): DynamoDBDocumentClient {
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return async (...args: unknown[]) => {
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        return (target.send as (...rest: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  }) as DynamoDBDocumentClient;
}

describe("transaction lease", () => {
  it("renewal keeps a slow transaction alive", async () => {
    const { client, tableName } = await createTestRepository();
    const leaseMs = 1_500;
    const repository = new DynamoDbRepository({ client: slowClient(client, 150), tableName, transactionLeaseMs: leaseMs });
    const operations = Array.from({ length: 120 }, (_, index) => {
      const id = `slow-${index}`;
      return { kind: "create" as const, resourceType: "Basic", id, resource: { resourceType: "Basic", id, code: { text: "slow" } } as Resource & { id: string }, method: "POST" as const };
    });

    const started = Date.now();
    const results = await repository.transaction(operations);
    expect(Date.now() - started, "the run outlasted the lease, or the test proves nothing").toBeGreaterThan(leaseMs);
    expect(results.every((result) => result.written)).toBe(true);
    expect(await checkTable(client, tableName)).toEqual([]);
  }, 120_000);
});
