import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { openSync, closeSync, readFileSync } from "node:fs";
import path from "node:path";
// The PostgreSQL set-up augments vitest's types, which only resolves once "vitest" is imported.
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { findFreePort } from "@flint/dynamodb";
import startPostgresForTests from "../../test/setup/postgres-server.ts";

/** Environment variable set in the copy of the benchmark that runs in a private network namespace. */
const ISOLATED_MARK = "FLINT_SOAK_ISOLATED";

/** Time the Flint server gets to start, including DynamoDB Local or the migrations. */
const SERVER_START_TIMEOUT_MS = 120_000;

/** Time the Flint server gets to stop after SIGTERM before it is killed. */
const SERVER_STOP_TIMEOUT_MS = 15_000;

/** Variables of the parent environment that would change the server's configuration, so they are not passed on. */
const SERVER_SETTINGS = /^(FLINT_|DATABASE_URL$|DYNAMODB_ENDPOINT$|PORT$|HOST$)/;

/**
 * Runs this benchmark again in a new network namespace that has only a loopback interface, and
 * returns its exit code, or returns undefined when the caller already runs isolated or Linux
 * refuses the namespace (`unshare --net` needs root or user namespaces).
 *
 * DynamoDB Local listens on every interface and has no option to bind to 127.0.0.1, so this is
 * what keeps the emulator off the machine's other interfaces.
 */
export async function runIsolated(script: string, args: readonly string[], log: (line: string) => void): Promise<number | undefined> {
  if (process.env[ISOLATED_MARK] === "1" || process.platform !== "linux") return undefined;
  const probe = spawnSync("unshare", ["--net", "--", "ip", "link", "set", "lo", "up"], { stdio: "ignore" });
  if (probe.error !== undefined || probe.status !== 0) {
    log("WARNING: could not create a network namespace with `unshare --net` and `ip`; DynamoDB Local will listen on every interface.");
    return undefined;
  }

  log("Running in a new network namespace that has only the loopback interface.");
  const child = spawn("unshare", ["--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", process.execPath, "--import", "tsx", script, ...args], {
    stdio: "inherit",
    env: { ...process.env, [ISOLATED_MARK]: "1" },
  });
  // Ctrl-C reaches the whole process group, so the child stops by itself; SIGTERM sent to this process alone is passed on.
  const ignoreInterrupt = () => undefined;
  const forwardTerminate = () => child.kill("SIGTERM");
  process.on("SIGINT", ignoreInterrupt);
  process.on("SIGTERM", forwardTerminate);
  try {
    return await new Promise<number>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 15))));
  } finally {
    process.off("SIGINT", ignoreInterrupt);
    process.off("SIGTERM", forwardTerminate);
  }
}

/** The Flint server under test: a Node process started like `npm start`, but without npm in between. */
export interface FlintServer {
  origin: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code or signal when the process exits, for whatever reason. */
  exited: Promise<string>;
  hasExited(): boolean;
  /** Sends SIGTERM, waits for the exit, and sends SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/**
 * Entry of the server process: `bundle` is the `start` script of package.json, such as
 * `node --optimize-for-size packages/server/src/start-node.mjs`, which bundles the server with
 * esbuild first. `tsx` is `node --import tsx packages/server/src/main.ts`, the command of
 * `npm start` before that, with no other flags.
 */
export type ServerEntry = "bundle" | "tsx";

/** Returns the Node command-line arguments that run the server's entry from the repository root. */
export function entryArguments(repositoryRoot: string, entry: ServerEntry): string[] {
  if (entry === "tsx") return ["--import", "tsx", path.join("packages", "server", "src", "main.ts")];

  const manifest = JSON.parse(readFileSync(path.join(repositoryRoot, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const words = (manifest.scripts?.start ?? "").split(/\s+/).filter((word) => word !== "");
  if (words[0] !== "node" || words.length < 2 || words.some((word) => /["'$&|;<>]/.test(word))) {
    throw new Error(`The start script of package.json must be a plain \`node [flags] file\` command to be run without npm, not "${manifest.scripts?.start}".`);
  }
  return words.slice(1);
}

/**
 * Starts the server's entry with `nodeFlags` before it (such as `--max-semi-space-size=8`) on
 * 127.0.0.1 and a free port, with `settings` as its only Flint settings, its output in
 * `logFile`, and waits until `/fhir/metadata` returns 200.
 */
export async function startFlintServer(
  repositoryRoot: string,
  settings: Record<string, string>,
  logFile: string,
  entry: ServerEntry,
  nodeFlags: readonly string[],
): Promise<FlintServer> {
  const port = await findFreePort();
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SERVER_SETTINGS.test(name)));
  const logDescriptor = openSync(logFile, "a");
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...nodeFlags, ...entryArguments(repositoryRoot, entry)], {
      cwd: repositoryRoot,
      env: { ...inherited, ...settings, HOST: "127.0.0.1", PORT: String(port) },
      stdio: ["ignore", logDescriptor, logDescriptor],
    });
  } finally {
    closeSync(logDescriptor);
  }

  let exitDescription: string | undefined;
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      exitDescription = signal === null ? `exit code ${code}` : `signal ${signal}`;
      resolve(exitDescription);
    });
  });
  const server: FlintServer = {
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    logFile,
    exited,
    hasExited: () => exitDescription !== undefined,
    stop: async () => {
      if (exitDescription !== undefined) return;
      const timer = setTimeout(() => child.kill("SIGKILL"), SERVER_STOP_TIMEOUT_MS);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(timer);
    },
  };

  try {
    await waitForMetadata(server);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitForMetadata(server: FlintServer): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`The Flint server exited during start-up (${await server.exited}); see ${server.logFile}.`);
    try {
      const response = await fetch(`${server.origin}/fhir/metadata`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`The Flint server did not serve /fhir/metadata within ${SERVER_START_TIMEOUT_MS / 1000} s; see ${server.logFile}.`);
}

/** A throwaway PostgreSQL server on 127.0.0.1. */
export interface PostgresServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the throwaway PostgreSQL server of the test suite (`test/setup/postgres-server.ts`):
 * initdb in a temporary folder, a free port on 127.0.0.1, `fsync=off`. Its `provide` call is
 * the only part of the vitest project that it uses.
 */
export async function startPostgres(): Promise<PostgresServer> {
  let url = "";
  const project = { provide: (_key: string, value: string) => void (url = value) } as unknown as TestProject;
  const stop = await startPostgresForTests(project);
  if (stop === undefined || url === "") throw new Error("No PostgreSQL binaries (initdb, pg_ctl) were found; install them with apt-get install postgresql.");
  return { url, stop };
}

/** Resident set size in bytes from /proc/PID/status (VmRSS), or undefined when the process is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** One resident memory sample: seconds since sampling started, the benchmark's phase, and bytes. */
export interface MemorySample {
  seconds: number;
  phase: string;
  bytes: number;
}

/** Samples the resident memory of `pid` every second, tagged with the phase last set, until `stop` is called. */
export function sampleMemory(pid: number, firstPhase: string): { samples: MemorySample[]; setPhase(phase: string): void; stop(): void } {
  const started = performance.now();
  const samples: MemorySample[] = [];
  let phase = firstPhase;
  const take = () => {
    const bytes = residentBytes(pid);
    if (bytes !== undefined) samples.push({ seconds: (performance.now() - started) / 1000, phase, bytes });
  };
  take();
  const timer = setInterval(take, 1_000);
  return {
    samples,
    setPhase: (next) => {
      take();
      phase = next;
    },
    stop: () => {
      clearInterval(timer);
      take();
    },
  };
}
