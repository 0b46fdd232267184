/**
 * Measures the latency of typical clinical searches over the Synthea sample: loads it into a
 * fresh in-memory DynamoDB Local through the app, times each search, prints a Markdown table
 * and writes it to the "Search latency" section of docs/benchmarks.md.
 *
 *   npx tsx bench/search-latency.ts [--patients N] [--runs N] [--warmup N] [--http] [--dry-run]
 */
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { serve } from "@hono/node-server";
import { createApp, silentLogger } from "@flint/api";
import { createDocumentClient, DynamoDbRepository, ensureTable, startDynamoDbLocal, type DynamoDbLocal } from "@flint/dynamodb";
import { cpuUseBetween, findDynamoDbLocalPid, sampleCpu, type CpuUse } from "./search-latency/cpu.ts";
import { writeSection } from "./search-latency/doc.ts";
import { countDynamoDbCalls } from "./search-latency/dynamodb-calls.ts";
import { loadSynthea } from "./search-latency/load.ts";
import { measure, type Timing } from "./search-latency/measure.ts";
import { buildQueries } from "./search-latency/queries.ts";
import { describeMachine, failureList, formatSection, resultsTable, type Run } from "./search-latency/report.ts";
import { inProcess, overHttp } from "./search-latency/transport.ts";
import { syntheaFolder } from "./fixtures.ts";

const USAGE = `Usage: npx tsx bench/search-latency.ts [options]

Loads the Synthea sample into an in-memory DynamoDB Local, times typical searches and writes
the figures to the "Search latency" section of docs/benchmarks.md.

Options:
  --patients N   patient Bundles to load, in file-name order (default: all in the folder)
  --runs N       timed requests per search (default: 50)
  --warmup N     untimed requests per search before the timed ones (default: 5)
  --http         also time the searches over HTTP on 127.0.0.1 with @hono/node-server
  --dry-run      print the figures without writing docs/benchmarks.md
  --help         show this text

The fixtures folder is FLINT_FIXTURES, or ../shared/fixtures beside the repository; the
Bundles are read from its synthea-r4-blaze folder.`;

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCHMARKS_PAGE = path.join(repositoryRoot, "docs/benchmarks.md");
const TABLE_NAME = "flint-bench";
/** Origin of in-process request URLs. No request leaves the process. */
const IN_PROCESS_ORIGIN = "http://flint.bench";
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

interface Options {
  patients: number | undefined;
  runs: number;
  warmup: number;
  http: boolean;
  dryRun: boolean;
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      patients: { type: "string" },
      runs: { type: "string", default: "50" },
      warmup: { type: "string", default: "5" },
      http: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  return {
    patients: values.patients === undefined ? undefined : wholeNumber("--patients", values.patients, 1),
    runs: wholeNumber("--runs", values.runs, 1),
    warmup: wholeNumber("--warmup", values.warmup, 0),
    http: values.http,
    dryRun: values["dry-run"],
  };
}

function wholeNumber(option: string, text: string, minimum: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < minimum) throw new UsageError(`${option} must be a whole number of at least ${minimum}, not "${text}".`);
  return value;
}

class UsageError extends Error {
  override name = "UsageError";
}

function log(line: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const fixtures = syntheaFolder(repositoryRoot);
  if (!existsSync(fixtures)) throw new UsageError(`The Synthea fixtures folder ${fixtures} does not exist. Set FLINT_FIXTURES to the shared fixtures folder.`);
  const loadAverageBefore = os.loadavg();
  const machine = describeMachine();

  const local = await startDynamoDbLocal();
  const stopOnSignal = (signal: NodeJS.Signals) => {
    log(`Stopping DynamoDB Local after ${signal}.`);
    void local.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  log(`DynamoDB Local is listening on port ${local.port}.`);

  try {
    const run = await benchmark(local, fixtures, options);
    const section = formatSection({ ...run, machine, loadAverageBefore, command: commandLine(args), date: new Date().toISOString().slice(0, 10) });

    const failures = failureList(run.inProcess, run.http);
    if (options.dryRun) {
      console.log(section);
    } else {
      console.log(resultsTable(run.inProcess, run.http));
      if (failures !== "") console.log(`\n${failures}`);
      writeSection(BENCHMARKS_PAGE, section);
      log(`Wrote the figures to ${path.relative(process.cwd(), BENCHMARKS_PAGE)}.`);
    }
    return failures === "" ? 0 : 1;
  } finally {
    await local.stop();
    log("Stopped DynamoDB Local.");
  }
}

/** Loads the data, runs the searches and returns what the report needs besides the machine. */
async function benchmark(local: DynamoDbLocal, fixtures: string, options: Options): Promise<Omit<Run, "machine" | "loadAverageBefore" | "command" | "date">> {
  const client = createDocumentClient({ endpoint: local.endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
  try {
    await ensureTable(client as unknown as DynamoDBClient, TABLE_NAME);
    const repository = new DynamoDbRepository({ client, tableName: TABLE_NAME });
    const counter = countDynamoDbCalls(client);
    const app = createApp({ repository, logger: silentLogger });
    const send = inProcess(app, IN_PROCESS_ORIGIN);

    const javaPid = findDynamoDbLocalPid(local.port);
    log(`Loading Synthea Bundles from ${fixtures}.`);
    const cpuBeforeLoad = sampleCpu(javaPid);
    const load = await loadSynthea(send, fixtures, options.patients, log);
    const cpuDuringLoad = cpuUseBetween(cpuBeforeLoad, sampleCpu(javaPid));
    log(`Loaded ${load.entries} entries in ${(load.supportSeconds + load.patientSeconds).toFixed(1)} s.`);

    const queries = buildQueries(load.catalogue, options.warmup + options.runs);
    const server = options.http ? await serveOnLoopback(app) : undefined;
    let timings: Timing[][];
    let cpuDuringSearches: CpuUse | undefined;
    try {
      const transports = server === undefined ? [send] : [send, overHttp(server.origin)];
      log(`Timing ${queries.length} searches ${server === undefined ? "in process" : "in process and over HTTP"}, ${options.runs} requests each.`);
      const cpuBefore = sampleCpu(javaPid);
      timings = await measure(queries, transports, counter, options.warmup, options.runs, log);
      cpuDuringSearches = cpuUseBetween(cpuBefore, sampleCpu(javaPid));
    } finally {
      await server?.close();
    }

    return {
      patients: load.catalogue.patients.length,
      runs: options.runs,
      warmup: options.warmup,
      load,
      loadAverageAfter: os.loadavg(),
      cpuDuringLoad,
      cpuDuringSearches,
      inProcess: timings[0]!,
      http: timings[1],
    };
  } finally {
    client.destroy();
  }
}

/** Serves the app with `@hono/node-server` on a free port of 127.0.0.1. */
async function serveOnLoopback(app: ReturnType<typeof createApp>): Promise<{ origin: string; close(): Promise<void> }> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(started));
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function commandLine(args: readonly string[]): string {
  const prefix = process.env.FLINT_FIXTURES === undefined ? "" : `FLINT_FIXTURES=${process.env.FLINT_FIXTURES} `;
  return `${prefix}npx tsx bench/search-latency.ts${args.length === 0 ? "" : ` ${args.join(" ")}`}`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error("The search benchmark failed:", error);
    process.exit(1);
  },
);
