/**
 * Soak benchmark: starts the Flint Node server on one store, seeds it, runs concurrent clients
 * with a mix of reads, searches, creates, updates, deletes and transactions for a bounded time,
 * then checks the store's consistency. Prints a summary and writes a JSON result file to a
 * temporary folder. Exits with 1 on any 5xx, request without a response, server exit or
 * checker finding.
 *
 *   npx tsx bench/soak.ts [--store dynamodb-local|pglite|postgres] [--minutes N] [--clients N]
 *                         [--entry bundle|tsx] [--node-flags="FLAGS"]
 */
import { setMaxListeners } from "node:events";
import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startDynamoDbLocal } from "@flint/dynamodb";
import { openPglite, openPostgres } from "@flint/postgres";
import { findDynamoDbLocalPid } from "./search-latency/cpu.ts";
import { describeMachine } from "./search-latency/report.ts";
import { seededRandom } from "./search-latency/stats.ts";
import { cpuBetween, findPostgresPids, snapshotCpu, type CpuRoles } from "./soak/cpu.ts";
import { Pool } from "./soak/pool.ts";
import { residentBytes, runIsolated, sampleMemory, startFlintServer, startPostgres, type FlintServer, type MemorySample, type ServerEntry } from "./soak/processes.ts";
import { Recorder } from "./soak/recorder.ts";
import { formatSummary, type SoakResult } from "./soak/report.ts";
import { checkDynamoDbTable, checkEndToEnd, checkPostgresSchema, summarizeServerLog, type StoreCheck } from "./soak/verify.ts";
import { runClient, seed, type Load } from "./soak/workload.ts";

const USAGE = `Usage: npx tsx bench/soak.ts [options]

Starts the Flint Node server on 127.0.0.1 with a fresh data folder, seeds it, runs concurrent
clients for a bounded time, checks consistency and prints a summary. The JSON result file
and the server log go to a new folder under ${os.tmpdir()}.

Options:
  --store NAME   dynamodb-local, pglite or postgres (default: dynamodb-local); postgres starts
                 a throwaway PostgreSQL server with initdb and pg_ctl
  --minutes N    length of the load phase in minutes, may be a fraction (default: 3)
  --clients N    concurrent clients (default: 32)
  --entry NAME   bundle: run the server as npm start does, bundled by esbuild (default);
                 tsx: run packages/server/src/main.ts through tsx, for comparison
  --node-flags=F Node or V8 flags for the server process, separated by spaces, such as
                 --node-flags="--max-semi-space-size=8" (default: none); the = is needed
                 because the value starts with a dash
  --help         show this text`;

const STORES = ["dynamodb-local", "pglite", "postgres"] as const;
type SoakStore = (typeof STORES)[number];
const ENTRIES = ["bundle", "tsx"] as const;

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** DynamoDB table name and PostgreSQL schema that the server is configured with. */
const TABLE = "flint-soak";
const SCHEMA = "flint";

/** Client-written resources that the end-to-end check reads back. */
const END_TO_END_SAMPLE = 300;

/** Wait after the hard stop, so that requests the server still runs finish before the checks. */
const DRAIN_MS = 3_000;

interface Options {
  store: SoakStore;
  minutes: number;
  clients: number;
  entry: ServerEntry;
  nodeFlags: string[];
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: "string", default: "dynamodb-local" },
      minutes: { type: "string", default: "3" },
      clients: { type: "string", default: "32" },
      entry: { type: "string", default: "bundle" },
      "node-flags": { type: "string", default: "" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  if (!(STORES as readonly string[]).includes(values.store)) throw new UsageError(`--store must be one of ${STORES.join(", ")}, not "${values.store}".`);
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) throw new UsageError(`--minutes must be a number above 0 and at most 1440, not "${values.minutes}".`);
  const clients = Number(values.clients);
  if (!Number.isSafeInteger(clients) || clients < 1 || clients > 1_000) throw new UsageError(`--clients must be a whole number from 1 to 1000, not "${values.clients}".`);
  if (!(ENTRIES as readonly string[]).includes(values.entry)) throw new UsageError(`--entry must be one of ${ENTRIES.join(", ")}, not "${values.entry}".`);
  const nodeFlags = values["node-flags"].split(/\s+/).filter((flag) => flag !== "");
  const notFlag = nodeFlags.find((flag) => !flag.startsWith("--"));
  if (notFlag !== undefined) throw new UsageError(`--node-flags must contain only flags that start with --, not "${notFlag}".`);
  return { store: values.store as SoakStore, minutes, clients, entry: values.entry as ServerEntry, nodeFlags };
}

class UsageError extends Error {
  override name = "UsageError";
}

function log(line: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** Stops what the run started, in reverse order, once, also when a signal arrives mid-run. */
class Cleanup {
  private readonly steps: { name: string; run: () => Promise<void> }[] = [];
  private running: Promise<void> | undefined;

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  runAll(): Promise<void> {
    this.running ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
          log(`Stopped ${step.name}.`);
        } catch (error) {
          log(`Failed to stop ${step.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    })();
    return this.running;
  }
}

async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const isolatedCode = await runIsolated(fileURLToPath(import.meta.url), args, log);
  if (isolatedCode !== undefined) return isolatedCode;

  const cleanup = new Cleanup();
  const loadController = new AbortController();
  // Every client waits on the hard stop's signal.
  setMaxListeners(options.clients + 10, loadController.signal);
  const onSignal = (signal: NodeJS.Signals) => {
    log(`Stopping after ${signal}.`);
    loadController.abort();
    void cleanup.runAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    return await soak(options, args, cleanup, loadController);
  } finally {
    await cleanup.runAll();
  }
}

async function soak(options: Options, args: readonly string[], cleanup: Cleanup, loadController: AbortController): Promise<number> {
  const loadAverageBefore = os.loadavg()[0]!;
  const machine = describeMachine();
  const folder = await mkdtemp(path.join(os.tmpdir(), `flint-soak-${options.store}-`));
  const dataDir = path.join(folder, "data");
  log(`Writing the server log and the result to ${folder}.`);

  const store = await startStore(options.store, dataDir, cleanup);
  const server = await startFlintServer(repositoryRoot, { FLINT_DATA_DIR: dataDir, ...store.settings }, path.join(folder, "server.log"), options.entry, options.nodeFlags);
  cleanup.add(`the Flint server (pid ${server.pid})`, () => server.stop());
  log(`Flint is serving at ${server.origin}/fhir with pid ${server.pid}.`);
  const memory = sampleMemory(server.pid, "seed");

  const pool = new Pool();
  const seedStarted = performance.now();
  await seed({ origin: server.origin, pool, recorder: new Recorder(), signal: loadController.signal });
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const seeded = pool.all.size;
  log(`Seeded ${seeded} resources in ${seedSeconds.toFixed(1)} s; running ${options.clients} clients for ${options.minutes} min.`);

  const recorder = new Recorder();
  memory.setPhase("load");
  const load: Load = { origin: server.origin, pool, recorder, signal: loadController.signal };
  const cpuRoles: CpuRoles = { server: [server.pid], store: store.pids(), clients: [process.pid] };
  const cpuBefore = snapshotCpu(cpuRoles);
  const loadSeconds = await runLoad(load, options, server, loadController);
  const cpuDuringLoad = cpuBetween(cpuBefore, snapshotCpu(cpuRoles));
  const finalBytes = residentBytes(server.pid) ?? 0;
  memory.setPhase("check");
  log(`Stopped the load after ${loadSeconds.toFixed(1)} s; ${recorder.aborted} requests were aborted.`);

  let endToEnd: SoakResult["endToEnd"];
  if (!server.hasExited()) {
    await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
    log("Checking client-written resources through the API.");
    endToEnd = await checkEndToEnd(server.origin, pool, END_TO_END_SAMPLE, seededRandom(7));
  }
  memory.stop();
  const serverExit = server.hasExited() ? await server.exited : undefined;
  await server.stop();

  log("Running the store's consistency checker.");
  const storeCheck = await store.check();
  const result: SoakResult = {
    command: `npx tsx bench/soak.ts${args.length === 0 ? "" : ` ${args.join(" ")}`}`,
    date: new Date().toISOString().slice(0, 10),
    store: options.store,
    minutes: options.minutes,
    clients: options.clients,
    server: { entry: options.entry, nodeFlags: options.nodeFlags },
    machine: { cpu: machine.cpu, cores: machine.cores, node: machine.node, commit: machine.commit },
    loadAverageBefore,
    loadAverageAfter: os.loadavg()[0]!,
    seed: { resources: seeded, seconds: seedSeconds },
    loadSeconds,
    abortedAtStop: recorder.aborted,
    cpuDuringLoad,
    operations: recorder.summarize(loadSeconds),
    memory: {
      maxBytes: maxBytes(memory.samples),
      maxDuringLoadBytes: maxBytes(memory.samples.filter((sample) => sample.phase === "load")),
      finalBytes,
      samples: memory.samples,
    },
    serverExit,
    clientFindings: pool.findings,
    endToEnd,
    storeCheck,
    serverLog: summarizeServerLog(server.logFile),
  };
  const resultFile = path.join(folder, "result.json");
  writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  await rm(dataDir, { recursive: true, force: true });

  console.log(formatSummary(result));
  console.log(`\nResult file: ${resultFile}\nServer log: ${server.logFile}`);
  return failed(result) ? 1 : 0;
}

/** Runs the clients until the time is up or the server exits, and returns the seconds the load ran. */
async function runLoad(load: Load, options: Options, server: FlintServer, loadController: AbortController): Promise<number> {
  const started = performance.now();
  const timer = setTimeout(() => loadController.abort(), options.minutes * 60_000);
  void server.exited.then((how) => {
    if (loadController.signal.aborted) return;
    log(`The server exited during the load (${how}); stopping the clients.`);
    loadController.abort();
  });
  const clients = Promise.all(Array.from({ length: options.clients }, (_, index) => runClient(load, index)));
  try {
    await clients;
  } finally {
    clearTimeout(timer);
  }
  return (performance.now() - started) / 1000;
}

interface StartedStore {
  settings: Record<string, string>;
  /** Processes of the store outside the server process: Java, or the PostgreSQL server and its backends. */
  pids(): number[];
  check(): Promise<StoreCheck>;
}

/** Starts what the store needs besides the Flint server, registers its stop, and returns the server settings and the checker. */
async function startStore(store: SoakStore, dataDir: string, cleanup: Cleanup): Promise<StartedStore> {
  if (store === "dynamodb-local") {
    // The benchmark owns DynamoDB Local, so the table can still be checked after the server stopped or crashed.
    const local = await startDynamoDbLocal({ dataDir: await makeFolder(path.join(dataDir, "dynamodb")) });
    cleanup.add("DynamoDB Local", () => local.stop());
    log(`DynamoDB Local is listening on port ${local.port}.`);
    return {
      settings: { FLINT_STORE: "dynamodb-local", DYNAMODB_ENDPOINT: local.endpoint, FLINT_TABLE: TABLE },
      pids: () => [findDynamoDbLocalPid(local.port)].filter((pid) => pid !== undefined),
      check: () => checkDynamoDbTable(local.endpoint, TABLE),
    };
  }
  if (store === "pglite") {
    return {
      settings: { FLINT_STORE: "pglite", FLINT_PG_SCHEMA: SCHEMA },
      // PGlite runs inside the server process.
      pids: () => [],
      // The server has stopped by then, so the data folder is free to open.
      check: () => checkPostgresSchema(() => openPglite({ dataDir: path.join(dataDir, "pglite") }), SCHEMA),
    };
  }
  const postgres = await startPostgres();
  cleanup.add("PostgreSQL", () => postgres.stop());
  log(`PostgreSQL is listening at ${new URL(postgres.url).host}.`);
  return {
    settings: { FLINT_STORE: "postgres", DATABASE_URL: postgres.url, FLINT_PG_SCHEMA: SCHEMA },
    pids: () => findPostgresPids(Number(new URL(postgres.url).port)),
    check: () => checkPostgresSchema(async () => openPostgres(postgres.url, { max: 2 }), SCHEMA),
  };
}

function maxBytes(samples: readonly MemorySample[]): number {
  return Math.max(0, ...samples.map((sample) => sample.bytes));
}

async function makeFolder(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  return folder;
}

/** True when the run saw a 5xx, a request without a response, a server exit or any checker finding. */
function failed(result: SoakResult): boolean {
  const serverSide = result.operations.some((operation) => operation.outcomes["5xx"] > 0 || operation.outcomes.noResponse > 0);
  const findings = result.clientFindings.length + (result.endToEnd?.findings.length ?? 0) + (result.storeCheck?.findings.length ?? 0);
  return serverSide || findings > 0 || result.serverExit !== undefined || result.endToEnd === undefined;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error("The soak benchmark failed:", error);
    process.exit(1);
  },
);
