import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import path from "node:path";
import { findFreePort } from "@flint/dynamodb";

/** Variables of the parent environment that would change the server's configuration, so they are not passed on. */
const SERVER_SETTINGS = /^(FLINT_|DATABASE_URL$|DYNAMODB_ENDPOINT$|PORT$|HOST$|NODE_OPTIONS$)/;

/** Time the server gets to start, including the PostgreSQL migrations. */
const START_TIMEOUT_MS = 120_000;

/** Time the server gets to stop after SIGTERM before it is killed; a CPU profile is written during the stop. */
const STOP_TIMEOUT_MS = 30_000;

export interface BenchServer {
  origin: string;
  pid: number;
  logFile: string;
  /** Sends SIGTERM, waits for the exit, and sends SIGKILL after 30 s. Does nothing once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `node [nodeFlags] --import tsx packages/server/src/main.ts` on 127.0.0.1 and a free
 * port, with `settings` as its only Flint settings and its output in `logFile`, and waits until
 * `/fhir/metadata` returns 200.
 */
export async function startServer(repositoryRoot: string, settings: Record<string, string>, logFile: string, nodeFlags: readonly string[]): Promise<BenchServer> {
  const port = await findFreePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SERVER_SETTINGS.test(name)));
  const logDescriptor = openSync(logFile, "a");
  const child = (() => {
    try {
      return spawn(process.execPath, [...nodeFlags, "--import", "tsx", path.join("packages", "server", "src", "main.ts")], {
        cwd: repositoryRoot,
        env: { ...inherited, ...settings, HOST: "127.0.0.1", PORT: String(port) },
        stdio: ["ignore", logDescriptor, logDescriptor],
      });
    } finally {
      closeSync(logDescriptor);
    }
  })();

  let exitDescription: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exitDescription = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve();
    });
  });
  const server: BenchServer = {
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    logFile,
    stop: async () => {
      if (exitDescription !== undefined) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exitDescription !== undefined) throw new Error(`The Flint server exited during start-up (${exitDescription}); see ${logFile}.`);
    try {
      const response = await fetch(`${server.origin}/fhir/metadata`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await server.stop();
  throw new Error(`The Flint server did not serve /fhir/metadata within ${START_TIMEOUT_MS / 1000} s; see ${logFile}.`);
}
