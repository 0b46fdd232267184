import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { findRuntimeBinary, type ChildRuntime } from "../../packages/server/src/runtimes.ts";

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const entry = path.join(repositoryRoot, "packages/server/src/main.ts");

/** Generous, because a loaded machine slows the start of tsx, the runtime and the store. */
const START_TIMEOUT_MS = 60_000;

/** A running `FLINT_RUNTIME=… npm start`: the Node parent and the runtime child it started. */
export interface FlintProcess {
  parent: ChildProcess;
  /** Output of the parent and the child, which share its standard streams. */
  output(): string;
  exited: Promise<number | null>;
}

/** Runs the runtime's `--version` and returns why it cannot run here, or undefined when it can. */
export function runtimeUnavailableReason(runtime: ChildRuntime): string | undefined {
  const binary = findRuntimeBinary(runtime);
  const result = spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", DO_NOT_TRACK: "1" } });
  if (result.error !== undefined) return `${binary} could not be started: ${result.error.message}`;
  if (result.status !== 0) return `${binary} --version exited with ${result.status}: ${result.stderr.trim().slice(0, 300)}`;
  return undefined;
}

/**
 * Starts the entry behind `npm start` with `FLINT_RUNTIME` and the given settings, in one Node
 * process with tsx's loader instead of the tsx command. When tsx 4.23 gets a signal, it waits
 * 30 ms for its Node child to confirm it, sends it again, waits 30 ms more and then kills the
 * child with SIGKILL. On a loaded machine that skips the stop of the runtime and Java, which
 * these tests check.
 */
export function startFlint(runtime: ChildRuntime, environment: Record<string, string>): FlintProcess {
  const parent = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: repositoryRoot,
    env: { ...process.env, ...environment, FLINT_RUNTIME: runtime, HOST: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  parent.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  parent.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => parent.once("exit", (code) => resolve(code)));
  return { parent, output: () => output, exited };
}

/** Waits for the child's `listening` log line and returns the child's process id. */
export async function waitForListening(flint: FlintProcess): Promise<number> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!flint.output().includes('"event":"listening"')) {
    if (flint.parent.exitCode !== null) throw new Error(`Flint exited during start-up:\n${flint.output()}`);
    if (Date.now() > deadline) throw new Error(`Flint did not start within ${START_TIMEOUT_MS} ms:\n${flint.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const pid = Number(/"event":"runtime-started","runtime":"\w+","pid":(\d+)/.exec(flint.output())?.[1]);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`No runtime-started line with a process id:\n${flint.output()}`);
  return pid;
}

/** Sends SIGINT to the parent alone, as a supervisor would, and waits for it to exit. */
export async function interrupt(flint: FlintProcess): Promise<number | null> {
  if (flint.parent.exitCode === null) flint.parent.kill("SIGINT");
  return flint.exited;
}

/** True while a process with this id exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when something accepts HTTP requests on the port of 127.0.0.1. */
export async function portAnswers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}
