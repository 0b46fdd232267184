import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { checkTable, createDocumentClient, DynamoDbLocalError, type DynamoDbLocal } from "@flint/dynamodb";
import { checkDatabase, openPglite, openPostgres, type Finding } from "@flint/postgres";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { startLocalDynamoDb } from "./start.ts";
import { silentLogger } from "@flint/api";

/** Credentials for DynamoDB Local, which accepts any. */
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Entry point behind `npm run check`: reads the configured store (the same settings as
 * `npm start`) and reports every inconsistency between resources, their versions and their
 * search index, one JSON line per finding on standard output, then a summary on standard error.
 * Exits with 1 when there are findings. It only reads, and runs no recovery. Findings name keys
 * and index values, never resource bodies, and the connection URL is never printed.
 * With `dynamodb-local`, stop the server first, or point `DYNAMODB_ENDPOINT` at its DynamoDB Local.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const findings = config.store === "pglite" || config.store === "postgres" ? await checkPostgres(config) : await checkDynamoDb(config);
  for (const finding of findings) console.log(JSON.stringify(finding));

  const resources = new Set(findings.map((finding) => finding.keys[0]));
  console.error(findings.length === 0 ? `No findings in store ${config.store}.` : `${findings.length} findings on ${resources.size} resources in store ${config.store}.`);
  process.exitCode = findings.length === 0 ? 0 : 1;
}

async function checkDynamoDb(config: Config): Promise<Finding[]> {
  let local: DynamoDbLocal | undefined;
  let endpoint = config.dynamoDbEndpoint;
  if (config.store === "dynamodb-local" && endpoint === undefined) {
    local = await startLocalDynamoDb(config, silentLogger);
    endpoint = local.endpoint;
  }
  const client = createDocumentClient({
    region: config.region ?? "us-east-1",
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(config.store === "dynamodb-local" ? { credentials: LOCAL_CREDENTIALS } : {}),
  });
  try {
    return await checkTable(client, config.table);
  } finally {
    client.destroy();
    await local?.stop();
  }
}

async function checkPostgres(config: Config): Promise<Finding[]> {
  let client;
  if (config.store === "pglite") {
    const dataDir = resolve(config.dataDir, "pglite");
    mkdirSync(dataDir, { recursive: true });
    client = await openPglite({ dataDir });
  } else {
    client = openPostgres(config.databaseUrl!, { max: 1 });
  }
  try {
    return await checkDatabase(client, config.pgSchema);
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  // Driver errors can quote the connection URL, which may hold a password, so only the message of known errors is printed in full.
  const known = error instanceof ConfigError || error instanceof DynamoDbLocalError;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  console.error(known ? (error as Error).message : `The store check failed: ${redact(message, process.env.DATABASE_URL)}`);
  process.exit(2);
});

/** Removes the connection URL and any password in a URL from a message. */
function redact(message: string, url: string | undefined): string {
  const withoutUrl = url === undefined || url === "" ? message : message.split(url).join("DATABASE_URL");
  return withoutUrl.replace(/(\w+:\/\/[^:/@\s]+:)[^@\s]+@/g, "$1***@");
}
