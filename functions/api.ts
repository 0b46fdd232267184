import { createDocumentClient, DynamoDbRepository, observeDynamoDbClient } from "@flint/dynamodb";
import { createFunctionHandler } from "./function.ts";

/**
 * Lambda entry on DynamoDB: the table named by `FLINT_TABLE`. `DYNAMODB_ENDPOINT` points the
 * client at another endpoint, such as DynamoDB Local in tests. See `createFunctionHandler` for
 * the settings every entry reads.
 */
export const handler = await createFunctionHandler(async (environment, observability) => {
  if (environment.FLINT_STORE === "postgres") {
    throw new Error("FLINT_STORE=postgres needs the PostgreSQL entry (functions/api-postgres.ts, bundled as dist/functions-postgres/api.mjs), not the DynamoDB one.");
  }
  const tableName = environment.FLINT_TABLE;
  if (tableName === undefined || tableName === "") {
    throw new Error("FLINT_TABLE is not set; the function needs the name of its DynamoDB table.");
  }
  const endpoint = environment.DYNAMODB_ENDPOINT;
  const client = await observeDynamoDbClient(createDocumentClient(endpoint === undefined || endpoint === "" ? {} : { endpoint }), observability.dynamoDb);
  return new DynamoDbRepository({ client, tableName });
});
