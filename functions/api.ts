import { handle } from "hono/aws-lambda";
import { createApp } from "@flint/api";
import { createDocumentClient, DynamoDbRepository } from "@flint/dynamodb";

/**
 * Lambda entry: adapts API Gateway and Function URL events to the Flint app. The table name
 * comes from `FLINT_TABLE`, which the SST stack sets.
 */
const tableName = process.env.FLINT_TABLE;
if (tableName === undefined || tableName === "") {
  throw new Error("FLINT_TABLE is not set; the function needs the name of its DynamoDB table.");
}

const repository = new DynamoDbRepository({ client: createDocumentClient(), tableName });
const app = createApp({ repository, basePath: process.env.FLINT_BASE_PATH ?? "/fhir" });

export const handler = handle(app);
