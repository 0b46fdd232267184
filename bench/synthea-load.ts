/**
 * Synthea load benchmark: posts the Synthea support batches and patient transaction Bundles to
 * the Flint Node server with the repository's loader (`npm run load`), 2 Bundles at a time, and
 * reports entries per second. On DynamoDB Local it then measures the emulator's own write rate
 * for items shaped like Flint's, on the same emulator, with `bench/dynamodb-floor.ts`.
 *
 *   npx tsx bench/synthea-load.ts [--store dynamodb-local|pglite|postgres] [--concurrency N]
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startDynamoDbLocal } from "@flint/dynamodb";
import { describeMachine } from "./search-latency/report.ts";
import { residentBytes, runIsolated, startFlintServer, startPostgres, type ServerEntry } from "./soak/processes.ts";
import { syntheaFolder } from "./fixtures.ts";

const STORES = ["dynamodb-local", "pglite", "postgres"] as const;
type LoadStore = (typeof STORES)[number];

const USAGE = `Usage: npx tsx bench/synthea-load.ts [options]

Starts a fresh store and the Flint server on 127.0.0.1, loads the Synthea support and patient
Bundles with npm run load, and prints entries per second. On DynamoDB Local it then runs
bench/dynamodb-floor.ts against the same emulator for the floor.

Options:
  --store NAME        dynamodb-local, pglite or postgres (default: dynamodb-local)
  --concurrency N     Bundles posted at a time (default: 2)
  --on-disk           keep DynamoDB Local's data on disk, as npm start does (default: in memory)
  --entry NAME        bundle (as npm start) or tsx (default: bundle)
  --floor-seconds N   seconds per floor measurement (default: 4; 0 skips the floor)
  --help              show this text

The fixtures folder is FLINT_FIXTURES, or ../shared/fixtures beside the repository.`;

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface Options {
  store: LoadStore;
  concurrency: number;
  onDisk: boolean;
  entry: ServerEntry;
  floorSeconds: number;
}

class UsageError extends Error {
  override name = "UsageError";
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: "string", default: "dynamodb-local" },
      concurrency: { type: "string", default: "2" },
      "on-disk": { type: "boolean", default: false },
      entry: { type: "string", default: "bundle" },
      "floor-seconds": { type: "string", default: "4" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  if (!(STORES as readonly string[]).includes(values.store)) throw new UsageError(`--store must be one of ${STORES.join(", ")}, not "${values.store}".`);
  if (values.entry !== "bundle" && values.entry !== "tsx") throw new UsageError(`--entry must be bundle or tsx, not "${values.entry}".`);
  const concurrency = Number(values.concurrency);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError(`--concurrency must be a whole number from 1 to 64, not "${values.concurrency}".`);
  const floorSeconds = Number(values["floor-seconds"]);
  if (!Number.isSafeInteger(floorSeconds) || floorSeconds < 0 || floorSeconds > 600) throw new UsageError(`--floor-seconds must be a whole number from 0 to 600, not "${values["floor-seconds"]}".`);
  return { store: values.store as LoadStore, concurrency, onDisk: values["on-disk"], entry: values.entry, floorSeconds };
}

function log(line: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** Counts the entries of every Bundle file in the folders. */
function countEntries(folders: readonly string[]): { bundles: number; entries: number } {
  let bundles = 0;
  let entries = 0;
  for (const folder of folders) {
    for (const name of readdirSync(folder).filter((file) => file.endsWith(".json"))) {
      const bundle = JSON.parse(readFileSync(path.join(folder, name), "utf8")) as { entry?: unknown[] };
      bundles += 1;
      entries += bundle.entry?.length ?? 0;
    }
  }
  return { bundles, entries };
}

/** Runs a Node script of the repository through tsx with inherited output, and resolves with its exit code. */
function runScript(script: string, args: readonly string[]): Promise<number> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: repositoryRoot, stdio: ["ignore", "inherit", "inherit"] });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 15)));
  });
}

async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const fixtures = syntheaFolder(repositoryRoot);
  const folders = [path.join(fixtures, "support"), path.join(fixtures, "patients")];
  if (!folders.every((folder) => existsSync(folder))) {
    throw new UsageError(`The Synthea folders ${folders.join(" and ")} do not exist. Set FLINT_FIXTURES to the shared fixtures folder.`);
  }
  // DynamoDB Local listens on every interface, so a private network namespace keeps it on loopback.
  const isolatedCode = await runIsolated(fileURLToPath(import.meta.url), args, log);
  if (isolatedCode !== undefined) return isolatedCode;

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log(`Stopping failed: ${String(error)}`));
    stops.length = 0;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`Stopping after ${signal}.`);
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const folder = await mkdtemp(path.join(os.tmpdir(), `flint-synthea-${options.store}-`));
  try {
    return await run(options, folders, folder, stops);
  } finally {
    await stopAll();
    await rm(path.join(folder, "data"), { recursive: true, force: true });
  }
}

async function run(options: Options, folders: readonly string[], folder: string, stops: Array<() => Promise<void>>): Promise<number> {
  const machine = describeMachine();
  const loadAverageBefore = os.loadavg();
  const { bundles, entries } = countEntries(folders);
  const dataDir = path.join(folder, "data");
  await mkdir(dataDir, { recursive: true });

  let settings: Record<string, string>;
  let dynamoDbEndpoint: string | undefined;
  if (options.store === "dynamodb-local") {
    const dynamoDbDir = path.join(dataDir, "dynamodb");
    if (options.onDisk) await mkdir(dynamoDbDir, { recursive: true });
    const local = await startDynamoDbLocal(options.onDisk ? { dataDir: dynamoDbDir } : {});
    stops.push(() => local.stop());
    dynamoDbEndpoint = local.endpoint;
    settings = { FLINT_STORE: "dynamodb-local", DYNAMODB_ENDPOINT: local.endpoint, FLINT_TABLE: "flint-synthea" };
  } else if (options.store === "pglite") {
    settings = { FLINT_STORE: "pglite" };
  } else {
    const postgresServer = await startPostgres();
    stops.push(() => postgresServer.stop());
    settings = { FLINT_STORE: "postgres", DATABASE_URL: postgresServer.url };
  }

  const server = await startFlintServer(repositoryRoot, { FLINT_DATA_DIR: dataDir, ...settings }, path.join(folder, "server.log"), options.entry, []);
  stops.push(() => server.stop());
  log(`Flint is serving at ${server.origin}/fhir with pid ${server.pid}; loading ${bundles} Bundles with ${entries} entries.`);

  let peakBytes = 0;
  const sampler = setInterval(() => (peakBytes = Math.max(peakBytes, residentBytes(server.pid) ?? 0)), 250);
  const started = performance.now();
  const loaderCode = await runScript(path.join("packages", "loader", "src", "main.ts"), [...folders, "--base", `${server.origin}/fhir`, "--concurrency", String(options.concurrency)]);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const loadAverageAfter = os.loadavg();
  await server.stop();
  stops.pop();

  const loadAverages = (values: number[]) => values.map((value) => value.toFixed(2)).join(" ");
  console.log(`\n${machine.cpu}, ${machine.cores} cores, Node.js ${machine.node}, commit ${machine.commit}`);
  console.log(`store ${options.store}${options.store === "dynamodb-local" ? (options.onDisk ? " (on disk)" : " (in memory)") : ""}, server from its ${options.entry}, ${options.concurrency} Bundles at a time`);
  console.log(`load average before ${loadAverages(loadAverageBefore)}, after ${loadAverages(loadAverageAfter)}`);
  console.log(`loader exit code ${loaderCode}; ${entries} entries in ${seconds.toFixed(1)} s: ${Math.round(entries / seconds)} entries/s; server peak resident ${Math.round(peakBytes / 1048576)} MiB`);
  console.log(`server log: ${server.logFile}`);
  if (loaderCode !== 0) return loaderCode;

  if (dynamoDbEndpoint !== undefined && options.floorSeconds > 0) {
    log("Measuring DynamoDB Local's own write rate on the same emulator.");
    return runScript(path.join("bench", "dynamodb-floor.ts"), ["--endpoint", dynamoDbEndpoint, "--seconds", String(options.floorSeconds)]);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error("The Synthea load benchmark failed:", error);
    process.exit(1);
  },
);
