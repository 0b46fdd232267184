import { serve } from "@hono/node-server";
import { jsonLogger } from "@flint/api";
import { DynamoDbLocalError } from "@flint/dynamodb";
import { ConfigError, loadConfig } from "./config.ts";
import { startBackend } from "./start.ts";

/** Node entry point behind `npm start`: validates the environment, starts the store, serves HTTP. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const backend = await startBackend(config, jsonLogger);

  const server = serve({ fetch: backend.app.fetch, hostname: config.host, port: config.port }, (info) => {
    jsonLogger.info({ event: "listening", url: `http://${config.host}:${info.port}/fhir`, store: config.store });
    console.error(`Flint is serving FHIR R4 at http://${config.host}:${info.port}/fhir (Ctrl-C stops it).`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    jsonLogger.info({ event: "stopping", signal });
    server.close();
    backend.stop().then(
      () => {
        jsonLogger.info({ event: "stopped" });
        process.exit(0);
      },
      (error: unknown) => {
        jsonLogger.error({ event: "stop-failed", message: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DynamoDbLocalError) {
    console.error(error.message);
  } else {
    console.error("Flint failed to start:", error);
  }
  process.exit(1);
});
