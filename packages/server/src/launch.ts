import { spawn } from "node:child_process";
import { jsonLogger } from "@flint/api";
import type { DynamoDbLocal } from "@flint/dynamodb";
import type { Config } from "./config.ts";
import { CHILD_ENVIRONMENT, findRuntimeBinary, runtimeArguments, type ChildRuntime } from "./runtimes.ts";
import { startLocalDynamoDb } from "./start.ts";

/** Time the child runtime gets to stop after SIGTERM before it is killed. */
const CHILD_STOP_TIMEOUT_MS = 10_000;

/**
 * Serves Flint on Deno or Bun in a child process of this Node process, for
 * `FLINT_RUNTIME=deno|bun npm start`.
 *
 * With `FLINT_STORE=dynamodb-local`, this process starts DynamoDB Local and passes its endpoint
 * in `DYNAMODB_ENDPOINT`. Java then has one owner on every runtime, and Deno needs no permission
 * to run programs, read the jar or write the data folder. On SIGINT or SIGTERM the child is
 * stopped by its process id, then Java. When the child exits by itself, Java is stopped and
 * this process exits with the child's code.
 */
export async function launch(config: Config, runtime: ChildRuntime): Promise<void> {
  let local: DynamoDbLocal | undefined;
  let childConfig = config;
  if (config.store === "dynamodb-local" && config.dynamoDbEndpoint === undefined) {
    local = await startLocalDynamoDb(config, jsonLogger);
    childConfig = { ...config, dynamoDbEndpoint: local.endpoint };
  }

  const binary = findRuntimeBinary(runtime);
  const child = spawn(binary, runtimeArguments(runtime, childConfig), {
    env: {
      ...process.env,
      ...CHILD_ENVIRONMENT,
      ...(childConfig.dynamoDbEndpoint === undefined ? {} : { DYNAMODB_ENDPOINT: childConfig.dynamoDbEndpoint }),
    },
    stdio: "inherit",
  });
  jsonLogger.info({ event: "runtime-started", runtime, pid: child.pid, binary });

  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    jsonLogger.info({ event: "stopping", signal, runtime });
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    killTimer = setTimeout(() => child.kill("SIGKILL"), CHILD_STOP_TIMEOUT_MS);
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  const code = await new Promise<number>((resolve) => {
    child.once("error", (error) => {
      jsonLogger.error({ event: "runtime-failed", runtime, binary, message: error.message });
      console.error(`Flint could not start ${runtime} (${binary}): ${error.message}. Run \`npm ci\` to install the ${runtime} npm package.`);
      resolve(1);
    });
    child.once("exit", (exitCode, signal) => {
      jsonLogger.info({ event: "runtime-exited", runtime, code: exitCode ?? undefined, signal: signal ?? undefined });
      resolve(exitCode ?? 1);
    });
  });

  clearTimeout(killTimer);
  await local?.stop();
  process.exit(code);
}
