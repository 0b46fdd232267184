import type { Resource } from "fhir/r4";
import { describe, expect, it } from "vitest";
import { observeDynamoDbClient, type ConsumedCapacityEvent } from "./tracing.ts";
import { createTestRepository } from "../../../test/setup/dynamodb.ts";

describe("observeDynamoDbClient on DynamoDB Local", () => {
  it("reports capacity for repository writes and reads", async () => {
    const { repository, client } = await createTestRepository();
    const events: ConsumedCapacityEvent[] = [];
    await observeDynamoDbClient(client, { tracing: false, onConsumedCapacity: (event) => events.push(event) });

    await repository.create({ resourceType: "Patient", id: "capacity-1", name: [{ family: "Unitcount" }] } as Resource & { id: string });
    const stored = await repository.read("Patient", "capacity-1");

    expect(stored?.resource.id).toBe("capacity-1");
    const operations = events.map((event) => event.operation);
    expect(operations).toContain("TransactWriteItems");
    expect(events.reduce((sum, event) => sum + event.writeCapacityUnits, 0)).toBeGreaterThan(0);
    expect(events.reduce((sum, event) => sum + event.readCapacityUnits, 0)).toBeGreaterThan(0);
  });
});
