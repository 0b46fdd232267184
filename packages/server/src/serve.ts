import { createBufferedJsonLogger } from "@flint/api";
import { DynamoDbLocalError } from "@flint/dynamodb";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { startBackend } from "./start.ts";

/** Request handler in the Web-standard form that `Deno.serve`, `Bun.serve` and Hono share. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/** HTTP server started by one runtime's own API. */
export interface HttpServer {
  /** Port it listens on. */
  port: number;
  /** Stops accepting connections. */
  close(): Promise<void>;
}

/** Runtime-specific functions that the shared server code needs. */
export interface RuntimeHost {
  name: "node" | "deno" | "bun";
  /** The process environment, from which the configuration is read. */
  environment: Record<string, string | undefined>;
  listen(fetch: FetchHandler, hostname: string, port: number): Promise<HttpServer>;
  onSignal(signal: "SIGINT" | "SIGTERM", listener: () => void): void;
  exit(code: number): void;
}

/**
 * Validates the environment, starts the configured store and serves the app on the host's HTTP
 * server until SIGINT or SIGTERM. Exits with 1 and a message on stderr when start-up fails.
 */
export async function runServer(host: RuntimeHost): Promise<void> {
  try {
    await serve(loadConfig(host.environment), host);
  } catch (error) {
    reportStartFailure(error);
    host.exit(1);
  }
}

/** Starts the store and the HTTP server, and stops both on SIGINT or SIGTERM. */
export async function serve(config: Config, host: RuntimeHost): Promise<void> {
  const logger = createBufferedJsonLogger();
  const backend = await startBackend(config, logger);
  const server = await host.listen((request) => backend.app.fetch(request), config.host, config.port);

  const url = `http://${config.host}:${server.port}/fhir`;
  logger.info({ event: "listening", url, store: config.store, runtime: host.name });
  console.error(`Flint is serving FHIR R4 at ${url} on ${runtimeLabel(host.name)} (Ctrl-C stops it).`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "stopping", signal });
    try {
      await server.close();
      await backend.stop();
    } catch (error) {
      logger.error({ event: "stop-failed", message: error instanceof Error ? error.message : String(error) });
      host.exit(1);
      return;
    }
    logger.info({ event: "stopped" });
    logger.flush();
    host.exit(0);
  };
  host.onSignal("SIGINT", () => void stop("SIGINT"));
  host.onSignal("SIGTERM", () => void stop("SIGTERM"));
}

/** Prints why start-up failed: the message alone for errors that name their fix. */
export function reportStartFailure(error: unknown): void {
  if (error instanceof ConfigError || error instanceof DynamoDbLocalError) {
    console.error(error.message);
  } else {
    console.error("Flint failed to start:", error);
  }
}

function runtimeLabel(name: RuntimeHost["name"]): string {
  return { node: "Node", deno: "Deno", bun: "Bun" }[name];
}
