import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createApp, type Logger } from "@flint/api";
import { createDocumentClient, DynamoDbRepository, ensureTable, startDynamoDbLocal, type DynamoDbLocal } from "@flint/dynamodb";
import type { Config } from "./config.ts";

/** Credentials for DynamoDB Local, which accepts any. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface Backend {
  app: ReturnType<typeof createApp>;
  repository: DynamoDbRepository;
  /** Stops DynamoDB Local if this process started it. */
  stop(): Promise<void>;
}

/**
 * Builds the app on the configured store. For `dynamodb-local` it starts DynamoDB Local with
 * its data under `dataDir/dynamodb` and creates the table; for `dynamodb` it uses the existing
 * table, creating it only when `DYNAMODB_ENDPOINT` points at a local emulator.
 */
export async function startBackend(config: Config, logger: Logger): Promise<Backend> {
  let local: DynamoDbLocal | undefined;
  let endpoint = config.dynamoDbEndpoint;

  if (config.store === "dynamodb-local" && endpoint === undefined) {
    const dataDir = resolve(config.dataDir, "dynamodb");
    mkdirSync(dataDir, { recursive: true });
    local = await startDynamoDbLocal({ dataDir });
    endpoint = local.endpoint;
    logger.info({ event: "dynamodb-local-started", port: local.port, dataDir });
  }

  const isLocal = config.store === "dynamodb-local";
  const client = createDocumentClient({
    region: config.region ?? "us-east-1",
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(isLocal ? { credentials: LOCAL_CREDENTIALS } : {}),
  });

  try {
    if (isLocal || config.dynamoDbEndpoint !== undefined) {
      const outcome = await ensureTable(client as unknown as DynamoDBClient, config.table);
      logger.info({ event: "table-ready", table: config.table, outcome });
    }
  } catch (error) {
    await local?.stop();
    throw error;
  }

  const repository = new DynamoDbRepository({ client, tableName: config.table });
  const recovered = await repository.recover();
  if (recovered.settled + recovered.pending > 0) logger.info({ event: "transactions-recovered", ...recovered });
  const app = createApp({
    repository,
    logger,
    ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    ...(config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes }),
  });
  return {
    app,
    repository,
    stop: async () => {
      client.destroy();
      await local?.stop();
    },
  };
}
