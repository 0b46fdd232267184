import type { TestProject } from "vitest/node";
import { startDynamoDbLocal } from "@flint/dynamodb";

declare module "vitest" {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
  }
}

/** Starts one in-memory DynamoDB Local for the whole run; each test file uses its own table. */
export default async function setup(project: TestProject) {
  const local = await startDynamoDbLocal();
  project.provide("dynamoDbEndpoint", local.endpoint);
  return () => local.stop();
}
