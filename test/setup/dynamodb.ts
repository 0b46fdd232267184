import { inject } from "vitest";
import { createDocumentClient, DynamoDbRepository, ensureTable, type SearchLimits } from "@flint/dynamodb";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";

let tables = 0;

/** Creates a fresh table in the shared DynamoDB Local and a repository on it. */
export async function createTestRepository(options: { now?: () => Date; searchLimits?: Partial<SearchLimits> } = {}) {
  const client = createDocumentClient({
    endpoint: inject("dynamoDbEndpoint"),
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const tableName = `flint-test-${process.pid}-${++tables}-${Date.now()}`;
  await ensureTable(client as unknown as DynamoDBClient, tableName);
  const repository = new DynamoDbRepository({ client, tableName, ...options });
  return { repository, client, tableName };
}
