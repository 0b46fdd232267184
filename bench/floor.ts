/**
 * Storage-floor benchmark: measures each FHIR interaction through the Flint Node server under
 * autocannon, next to the raw store calls that the repository makes for it, replayed with a
 * direct client against the same store at the same concurrency. Prints tables and writes a
 * JSON result file to a temporary folder.
 *
 *   npx tsx bench/floor.ts [--store dynamodb-local|pglite|postgres] [--seconds N] [--connections N]
 */
import { writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { createApp, silentLogger } from "@flint/api";
import { createDocumentClient, DynamoDbRepository, ensureTable, startDynamoDbLocal } from "@flint/dynamodb";
import { createPostgresRepository, openPglite, openPostgres } from "@flint/postgres";
import { describeMachine } from "./search-latency/report.ts";
import { runIsolated, startFlintServer, startPostgres, type ServerEntry } from "./soak/processes.ts";
import { seedAndCapture, type Workload } from "./floor/capture.ts";
import { driveFloor, driveHttp, type HttpLoad, type LoadFigures } from "./floor/drive.ts";
import { dynamoDbFloor, type FloorPlan } from "./floor/dynamodb-floor.ts";
import { startPlainHttpServer } from "./floor/http-alone.ts";
import { summarizeProfiles } from "./floor/profile.ts";
import { recordingDocumentClient, recordingSqlClient } from "./floor/record.ts";
import { ASSUMED_PRICES, checkTargets, costPerMillion, formatTables, type CapacityRow, type FloorResult, type FloorRow } from "./floor/report.ts";
import { rawPglite, rawPostgres, sqlFloor } from "./floor/sql-floor.ts";

const STORES = ["dynamodb-local", "pglite", "postgres"] as const;
type FloorStore = (typeof STORES)[number];
const INTERACTIONS = ["read", "create", "update", "search"] as const;
type Interaction = (typeof INTERACTIONS)[number];

const USAGE = `Usage: npx tsx bench/floor.ts [options]

Seeds a fresh store, replays the store calls of read, create, update and search with a direct
client, then drives the Flint Node server on 127.0.0.1 with autocannon for the same
interactions, and prints both side by side. The JSON result file goes to a new folder under
${os.tmpdir()}.

Options:
  --store NAME          dynamodb-local, pglite or postgres (default: dynamodb-local); postgres
                        starts a throwaway PostgreSQL server with initdb and pg_ctl
  --seconds N           timed seconds per interaction, for Flint and for the floor (default: 20)
  --warmup N            untimed seconds before each timed phase (default: 3)
  --connections N       concurrent connections and floor workers (default: 8)
  --patients N          Patients to seed, with 2 Observations each (default: 300)
  --interactions LIST   comma-separated subset of read,create,update,search (default: all)
  --entry NAME          how the server starts: bundle, as \`npm start\` does, or tsx, which keeps
                        TypeScript paths in profiles (default: bundle, or tsx with --profile)
  --profile             run the server with --cpu-prof and print its top self-time functions
  --help                show this text`;

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const TABLE = "flint-floor";
const SCHEMA = "flint";
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

interface Options {
  store: FloorStore;
  seconds: number;
  warmup: number;
  connections: number;
  patients: number;
  interactions: Interaction[];
  entry: ServerEntry;
  profile: boolean;
}

class UsageError extends Error {
  override name = "UsageError";
}

function wholeNumber(option: string, text: string, minimum: number, maximum: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) throw new UsageError(`${option} must be a whole number from ${minimum} to ${maximum}, not "${text}".`);
  return value;
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      store: { type: "string", default: "dynamodb-local" },
      seconds: { type: "string", default: "20" },
      warmup: { type: "string", default: "3" },
      connections: { type: "string", default: "8" },
      patients: { type: "string", default: "300" },
      interactions: { type: "string", default: INTERACTIONS.join(",") },
      entry: { type: "string" },
      profile: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  if (!(STORES as readonly string[]).includes(values.store)) throw new UsageError(`--store must be one of ${STORES.join(", ")}, not "${values.store}".`);
  const interactions = values.interactions.split(",").map((name) => name.trim());
  const unknown = interactions.filter((name) => !(INTERACTIONS as readonly string[]).includes(name));
  if (unknown.length > 0 || interactions.length === 0) throw new UsageError(`--interactions must list some of ${INTERACTIONS.join(", ")}, not "${values.interactions}".`);
  const entry = values.entry ?? (values.profile ? "tsx" : "bundle");
  if (entry !== "bundle" && entry !== "tsx") throw new UsageError(`--entry must be bundle or tsx, not "${entry}".`);
  return {
    store: values.store as FloorStore,
    seconds: wholeNumber("--seconds", values.seconds, 1, 3_600),
    warmup: wholeNumber("--warmup", values.warmup, 0, 600),
    connections: wholeNumber("--connections", values.connections, 1, 256),
    patients: wholeNumber("--patients", values.patients, 10, 100_000),
    interactions: interactions as Interaction[],
    entry,
    profile: values.profile,
  };
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
  // DynamoDB Local listens on every interface, so a private network namespace keeps it on loopback.
  const isolatedCode = await runIsolated(fileURLToPath(import.meta.url), args, log);
  if (isolatedCode !== undefined) return isolatedCode;

  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`Stopping after ${signal}.`);
    void cleanup.runAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await run(options, args, cleanup);
  } finally {
    await cleanup.runAll();
  }
}

/** The store as the benchmark uses it: the settings for the server, and the floor built from recorded calls. */
interface PreparedStore {
  settings: Record<string, string>;
  workload: Workload;
  plan: FloorPlan;
  /** Releases the floor's client. PGlite must be closed before the server opens the same folder. */
  closeFloorClient(): Promise<void>;
}

async function run(options: Options, args: readonly string[], cleanup: Cleanup): Promise<number> {
  const loadAverageBefore = os.loadavg();
  const machine = describeMachine();
  const folder = await mkdtemp(path.join(os.tmpdir(), `flint-floor-${options.store}-`));
  const dataDir = path.join(folder, "data");
  await mkdir(dataDir, { recursive: true });
  log(`Writing the result and the server log to ${folder}.`);

  const store = await prepareStore(options, dataDir, cleanup);
  const floor: FloorRow[] = [];
  for (const operation of store.plan.operations) {
    if (!(options.interactions as string[]).includes(operation.interaction)) continue;
    log(`Floor: ${operation.name} (${operation.description}), ${options.connections} workers for ${options.seconds} s.`);
    const figures = await driveFloor(operation.run, options.connections, options.warmup, options.seconds);
    floor.push({ name: operation.name, interaction: operation.interaction, description: operation.description, figures });
  }
  await store.closeFloorClient();

  const profileDir = path.join(folder, "profiles");
  const nodeFlags = options.profile ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const server = await startFlintServer(repositoryRoot, { FLINT_DATA_DIR: dataDir, ...store.settings }, path.join(folder, "server.log"), options.entry, nodeFlags);
  cleanup.add(`the Flint server (pid ${server.pid})`, () => server.stop());
  log(`Flint is serving at ${server.origin}/fhir with pid ${server.pid}.`);

  const flint: Record<string, LoadFigures> = {};
  for (const interaction of options.interactions) {
    log(`Flint: ${interaction}, ${options.connections} connections for ${options.seconds} s.`);
    flint[interaction] = await driveHttp(server.origin, httpLoad(interaction, store.workload), options.connections, options.warmup, options.seconds);
  }
  await server.stop();

  // The HTTP hop alone, under the same load generator: a plain node:http server sends a Patient
  // without a store, so the read's gap to its floor can be split into HTTP and the rest.
  let httpAlone: LoadFigures | undefined;
  if (options.interactions.includes("read")) {
    const plain = await startPlainHttpServer(JSON.stringify({ ...store.workload.patientBody, id: "plain", meta: { versionId: "1", lastUpdated: new Date().toISOString() } }));
    cleanup.add("the plain HTTP server", () => plain.stop());
    log(`HTTP alone: read, ${options.connections} connections for ${options.seconds} s.`);
    httpAlone = await driveHttp(plain.origin, { expectedStatus: 200, next: () => ({ method: "GET", path: "/fhir/Patient/plain" }) }, options.connections, options.warmup, options.seconds);
  }

  const result: FloorResult = {
    command: `npx tsx bench/floor.ts${args.length === 0 ? "" : ` ${args.join(" ")}`}`,
    date: new Date().toISOString().slice(0, 10),
    store: options.store,
    entry: options.entry,
    connections: options.connections,
    seconds: options.seconds,
    warmupSeconds: options.warmup,
    machine: { cpu: machine.cpu, cores: machine.cores, node: machine.node, commit: machine.commit },
    loadAverageBefore,
    loadAverageAfter: os.loadavg(),
    seeded: { patients: options.patients, observations: 2 * options.patients },
    flint,
    ...(httpAlone === undefined ? {} : { httpAlone }),
    floor,
    calls: store.plan.calls,
    capacity: capacityRows(store.plan),
    consumed: store.plan.consumed,
    targets: checkTargets(flint, floor),
  };
  const resultFile = path.join(folder, "result.json");
  writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  await rm(dataDir, { recursive: true, force: true });

  console.log(`${options.store}, server started from its ${options.entry === "bundle" ? "bundle" : "sources through tsx"}, ${options.connections} connections, ${options.seconds} s per interaction after ${options.warmup} s of warm-up`);
  console.log(`load average before ${loadAverageBefore.map((value) => value.toFixed(2)).join(" ")}, after ${result.loadAverageAfter.map((value) => value.toFixed(2)).join(" ")}\n`);
  console.log(formatTables(result));
  if (result.capacity.length > 0) {
    console.log(`\nCost assumes $${ASSUMED_PRICES.writePerMillionUnits} per million write and $${ASSUMED_PRICES.readPerMillionUnits} per million read request units (on-demand, us-east-1; check the current price list).`);
  }
  if (options.profile) console.log(`\n${summarizeProfiles(profileDir, repositoryRoot)}`);
  console.log(`\nResult file: ${resultFile}\nServer log: ${server.logFile}`);
  return 0;
}

/** Starts the store, seeds it and records the calls of each interaction through an app in this process, and builds the floor. */
async function prepareStore(options: Options, dataDir: string, cleanup: Cleanup): Promise<PreparedStore> {
  const seedOptions = { patients: options.patients, observationsPerPatient: 2, searches: 50, connections: options.connections };
  if (options.store === "dynamodb-local") {
    const local = await startDynamoDbLocal({ dataDir: await makeFolder(path.join(dataDir, "dynamodb")) });
    cleanup.add("DynamoDB Local", () => local.stop());
    log(`DynamoDB Local is listening on port ${local.port}.`);
    const real = createDocumentClient({ endpoint: local.endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
    await ensureTable(real as unknown as DynamoDBClient, TABLE);
    const recorder = recordingDocumentClient(real);
    const app = createApp({ repository: new DynamoDbRepository({ client: recorder.client, tableName: TABLE }), logger: silentLogger });
    log(`Seeding ${options.patients} Patients and recording the DynamoDB calls of each interaction.`);
    const { workload, captured } = await seedAndCapture(app, recorder.record, seedOptions);
    real.destroy();
    const floorClient = createDocumentClient({ endpoint: local.endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
    return {
      settings: { FLINT_STORE: "dynamodb-local", DYNAMODB_ENDPOINT: local.endpoint, FLINT_TABLE: TABLE },
      workload,
      plan: dynamoDbFloor(floorClient, workload, captured),
      closeFloorClient: async () => floorClient.destroy(),
    };
  }

  if (options.store === "pglite") {
    const pgliteDir = await makeFolder(path.join(dataDir, "pglite"));
    const recorder = recordingSqlClient(await openPglite({ dataDir: pgliteDir }));
    const repository = await createPostgresRepository({ client: recorder.client, schema: SCHEMA, ownsClient: true });
    log(`Seeding ${options.patients} Patients and recording the SQL of each interaction.`);
    const { workload, captured } = await seedAndCapture(createApp({ repository, logger: silentLogger }), recorder.record, seedOptions);
    await repository.close();
    const database = await PGlite.create(pgliteDir);
    return {
      settings: { FLINT_STORE: "pglite", FLINT_PG_SCHEMA: SCHEMA },
      workload,
      plan: sqlFloor(rawPglite(database), workload, captured),
      closeFloorClient: () => database.close(),
    };
  }

  const server = await startPostgres();
  cleanup.add("PostgreSQL", () => server.stop());
  log(`PostgreSQL is listening at ${new URL(server.url).host}.`);
  const recorder = recordingSqlClient(openPostgres(server.url));
  const repository = await createPostgresRepository({ client: recorder.client, schema: SCHEMA, ownsClient: true });
  log(`Seeding ${options.patients} Patients and recording the SQL of each interaction.`);
  const { workload, captured } = await seedAndCapture(createApp({ repository, logger: silentLogger }), recorder.record, seedOptions);
  await repository.close();
  // The same pool size as the server's default (FLINT_PG_POOL unset).
  const sql = postgres(server.url, { max: 10, onnotice: () => undefined });
  return {
    settings: { FLINT_STORE: "postgres", DATABASE_URL: server.url, FLINT_PG_SCHEMA: SCHEMA },
    workload,
    plan: sqlFloor(rawPostgres(sql), workload, captured),
    closeFloorClient: () => sql.end({ timeout: 5 }),
  };
}

/** Builds the autocannon load of one interaction over the seeded workload. */
function httpLoad(interaction: Interaction, workload: Workload): HttpLoad {
  if (interaction === "read") {
    let next = 0;
    return { expectedStatus: 200, next: () => ({ method: "GET", path: `/fhir/Patient/${workload.readIds[next++ % workload.readIds.length]!}` }) };
  }
  if (interaction === "create") {
    const body = JSON.stringify(workload.patientBody);
    return { expectedStatus: 201, next: () => ({ method: "POST", path: "/fhir/Patient", body }) };
  }
  if (interaction === "search") {
    let next = 0;
    return { expectedStatus: 200, next: () => ({ method: "GET", path: `/fhir${workload.searchPaths[next++ % workload.searchPaths.length]!}` }) };
  }
  // Each connection updates its own Patient, so If-Match meets no concurrent writer. Odd
  // versions become active: false, even ones active: true, so every update changes an index entry.
  const versions = workload.flintUpdateIds.map(() => 1);
  return {
    expectedStatus: 200,
    // A run stops with requests in flight whose responses it drops, and the server may still
    // commit them. So the versions are read again before each run, until two reads a second apart agree.
    prepare: async (origin) => {
      let previous = "";
      for (;;) {
        for (const [slot, id] of workload.flintUpdateIds.entries()) versions[slot] = await readVersion(origin, id);
        if (versions.join() === previous) return;
        previous = versions.join();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    },
    next: (connection) => {
      const slot = connection % workload.flintUpdateIds.length;
      const id = workload.flintUpdateIds[slot]!;
      const version = versions[slot]!;
      return {
        method: "PUT",
        path: `/fhir/Patient/${id}`,
        headers: { "if-match": `W/"${version}"` },
        body: JSON.stringify({ ...workload.patientBody, id, active: version % 2 === 0 }),
      };
    },
    onResponse: (connection, status, etag) => {
      const match = /^W\/"(\d+)"$/.exec(etag ?? "");
      if (status === 200 && match !== null) versions[connection % workload.flintUpdateIds.length] = Number(match[1]);
    },
  };
}

/** Reads the current version of a Patient from its `ETag`. */
async function readVersion(origin: string, id: string): Promise<number> {
  const response = await fetch(`${origin}/fhir/Patient/${id}`, { headers: { accept: "application/fhir+json" } });
  await response.body?.cancel();
  const match = /^W\/"(\d+)"$/.exec(response.headers.get("etag") ?? "");
  if (response.status !== 200 || match === null) throw new Error(`Reading Patient/${id} before the update load returned ${response.status}.`);
  return Number(match[1]);
}

/** Lists the capacity per interaction from the recording, with the AWS estimate and the cost at the assumed prices (DynamoDB only). */
function capacityRows(plan: FloorPlan): CapacityRow[] {
  return Object.entries(plan.flintCapacity).map(([interaction, local]) => {
    // This assumes that AWS charges the read units that Local reports. Transactions are estimated from their item sizes.
    const awsWrite = plan.awsWriteUnits[interaction];
    const aws = awsWrite === undefined ? local : { read: local.read, write: awsWrite };
    return { interaction, calls: plan.calls[interaction] ?? "", local, aws, costPerMillion: costPerMillion(aws) };
  });
}

async function makeFolder(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  return folder;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error("The floor benchmark failed:", error);
    process.exit(1);
  },
);
