import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createApp, type Logger } from "@flint/api";
import { createDocumentClient, DynamoDbRepository, ensureTable, startDynamoDbLocal, type DynamoDbLocal } from "@flint/dynamodb";
import { createPostgresRepository, openPglite, openPostgres, type SqlClient } from "@flint/postgres";
import type { FhirRepository } from "@flint/repository";
import type { Config } from "./config.ts";

/** Credentials for DynamoDB Local, which accepts any. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

export interface Backend {
  app: ReturnType<typeof createApp>;
  repository: FhirRepository;
  /** The DynamoDB repository, for the DynamoDB stores, which `npm run reindex` needs. */
  dynamodb?: DynamoDbRepository;
  /** Closes connections, and stops DynamoDB Local if this process started it. */
  stop(): Promise<void>;
}

/**
 * Builds the app on the configured store:
 * - `dynamodb-local` starts DynamoDB Local with its data under `dataDir/dynamodb` and creates the table;
 * - `dynamodb` uses the existing table, creating it only when `DYNAMODB_ENDPOINT` points at a local emulator;
 * - `pglite` opens embedded PostgreSQL with its data under `dataDir/pglite`;
 * - `postgres` connects to `DATABASE_URL`.
 * The PostgreSQL stores apply their migrations before serving.
 */
export async function startBackend(config: Config, logger: Logger): Promise<Backend> {
  const store = config.store === "pglite" || config.store === "postgres" ? await startPostgres(config, logger) : await startDynamoDb(config, logger);
  const app = createApp({
    repository: store.repository,
    logger,
    ...(config.baseUrl === undefined ? {} : { baseUrl: config.baseUrl }),
    ...(config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes }),
  });
  return { app, ...store };
}

async function startPostgres(config: Config, logger: Logger): Promise<Omit<Backend, "app">> {
  let client: SqlClient;
  if (config.store === "pglite") {
    const dataDir = resolve(config.dataDir, "pglite");
    mkdirSync(dataDir, { recursive: true });
    client = await openPglite({ dataDir });
    logger.info({ event: "pglite-opened", dataDir });
  } else {
    client = openPostgres(config.databaseUrl!, config.pgPool === undefined ? {} : { max: config.pgPool });
  }
  try {
    const repository = await createPostgresRepository({ client, schema: config.pgSchema, ownsClient: true });
    logger.info({ event: "schema-ready", schema: config.pgSchema });
    return { repository, stop: () => repository.close() };
  } catch (error) {
    await client.close();
    throw error;
  }
}

/** Starts DynamoDB Local with its data under `dataDir/dynamodb`. */
export async function startLocalDynamoDb(config: Config, logger: Logger): Promise<DynamoDbLocal> {
  const dataDir = resolve(config.dataDir, "dynamodb");
  mkdirSync(dataDir, { recursive: true });
  const local = await startDynamoDbLocal({ dataDir });
  logger.info({ event: "dynamodb-local-started", port: local.port, dataDir });
  return local;
}

async function startDynamoDb(config: Config, logger: Logger): Promise<Omit<Backend, "app">> {
  let local: DynamoDbLocal | undefined;
  let endpoint = config.dynamoDbEndpoint;

  if (config.store === "dynamodb-local" && endpoint === undefined) {
    local = await startLocalDynamoDb(config, logger);
    endpoint = local.endpoint;
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
  return {
    repository,
    dynamodb: repository,
    stop: async () => {
      client.destroy();
      await local?.stop();
    },
  };
}
