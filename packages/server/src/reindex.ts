import { jsonLogger } from "@flint/api";
import { DynamoDbLocalError } from "@flint/dynamodb";
import { ConfigError, loadConfig } from "./config.ts";
import { startBackend } from "./start.ts";

/**
 * Entry point behind `npm run reindex`: rebuilds the search index items of every resource in
 * the configured store from its body, after the search parameter definitions changed. Uses the
 * same settings as `npm start`; stop the server first when it uses DynamoDB Local.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.store !== "dynamodb-local" && config.store !== "dynamodb") {
    throw new ConfigError(`npm run reindex rebuilds DynamoDB index items; FLINT_STORE=${config.store} is not supported by it yet.`);
  }
  const backend = await startBackend(config, jsonLogger);
  try {
    const report = await backend.dynamodb!.reindex();
    jsonLogger.info({ event: "reindexed", ...report });
    console.error(`Reindexed: ${report.scanned} resources read, ${report.updated} updated, ${report.skipped} skipped.`);
    if (report.skipped > 0) console.error("Skipped resources changed during the run or are held by a transaction; run the command again.");
  } finally {
    await backend.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError || error instanceof DynamoDbLocalError ? error.message : `Reindexing failed: ${String(error)}`);
  process.exit(1);
});
