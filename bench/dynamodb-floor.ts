/**
 * Measures how fast DynamoDB Local itself applies writes shaped like Flint's, to give the
 * Synthea load a floor to compare with.
 *
 * 1. Loads the Synthea support batches, then posts one patient transaction Bundle through the
 *    app while a Proxy around the document client records every item the store writes.
 * 2. Sends `TransactWriteItems` calls of N items (every item a conditional put of a recorded
 *    item under fresh keys) at several concurrencies, then the same items with `BatchWriteItem`.
 * 3. Prints items/s, and entries/s as items/s divided by the recorded items per entry.
 *
 *   npx tsx bench/dynamodb-floor.ts [--bundle PREFIX] [--seconds S] [--endpoint URL]
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, TransactWriteCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createApp, silentLogger } from "@flint/api";
import { createDocumentClient, DynamoDbRepository, ensureTable, startDynamoDbLocal, type DynamoDbLocal } from "@flint/dynamodb";
import { syntheaFolder } from "./fixtures.ts";

const USAGE = `Usage: npx tsx bench/dynamodb-floor.ts [options]

Records the items Flint writes for one Synthea patient Bundle, then measures how many such
items per second DynamoDB Local applies with TransactWriteItems and with BatchWriteItem.

Options:
  --bundle PREFIX   patient Bundle to record, by file-name prefix (default: the first file)
  --seconds S       length of each timed run in seconds (default: 5)
  --endpoint URL    use a running DynamoDB Local on 127.0.0.1 instead of starting one
  --help            show this text

The fixtures folder is FLINT_FIXTURES, or ../shared/fixtures beside the repository.`;

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
/** Origin of in-process request URLs. No request leaves the process. */
const IN_PROCESS_ORIGIN = "http://flint.bench";
const TRANSACTION_SIZES = [25, 100];
const CONCURRENCIES = [1, 4, 8];
/** `BatchWriteItem` takes at most 25 items per call. */
const BATCH_SIZE = 25;

/** Item class by key shape, as `docs/transactions.md` lists them. */
type ItemClass = "head" | "version" | "index" | "claim" | "transaction" | "body part";

interface RecordedWrite {
  itemClass: ItemClass;
  /** The action: Put, Update, Delete or ConditionCheck, in a transaction, a batch or alone. */
  action: string;
  via: "TransactWriteItems" | "BatchWriteItem" | "single";
  /** Full item of a put, used as a template for the synthetic writes. */
  item?: Record<string, unknown>;
  bytes: number;
}

interface Options {
  bundle: string | undefined;
  seconds: number;
  endpoint: string | undefined;
}

function parseOptions(args: string[]): Options | undefined {
  const { values } = parseArgs({
    args,
    options: {
      bundle: { type: "string" },
      seconds: { type: "string", default: "5" },
      endpoint: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new UsageError(`--seconds must be a positive number, not "${values.seconds}".`);
  if (values.endpoint !== undefined && new URL(values.endpoint).hostname !== "127.0.0.1") {
    throw new UsageError(`--endpoint must be on 127.0.0.1, not ${values.endpoint}.`);
  }
  return { bundle: values.bundle, seconds, endpoint: values.endpoint };
}

class UsageError extends Error {
  override name = "UsageError";
}

function log(line: string): void {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

/** Classifies an item by its `pk`/`sk` shape. */
function classify(key: { pk?: unknown; sk?: unknown }): ItemClass {
  const pk = String(key.pk ?? "");
  const sk = String(key.sk ?? "");
  if (pk.startsWith("R#")) return sk === "CUR" ? "head" : "version";
  if (pk.startsWith("I#")) return "index";
  if (pk.startsWith("C#")) return "claim";
  if (pk.startsWith("X")) return "transaction";
  return "body part";
}

/** Estimates an item's size as DynamoDB counts it: attribute names plus values, in bytes. */
function itemBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === "number") return 8;
  if (typeof value === "boolean" || value === null || value === undefined) return 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, child) => sum + 1 + itemBytes(child), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, child) => sum + itemBytes(child), 0);
  return Object.entries(value as Record<string, unknown>).reduce((sum, [name, child]) => sum + Buffer.byteLength(name) + itemBytes(child), 3);
}

/** Turns one write request into recorded writes, one per item it touches. */
function recordCommand(command: { constructor: { name: string }; input: any }): RecordedWrite[] {
  const name = command.constructor.name;
  const input = command.input;
  if (name === "TransactWriteCommand") {
    return (input.TransactItems as Array<Record<string, any>>).map((action) => {
      const [kind, body] = Object.entries(action)[0]!;
      const item = kind === "Put" ? (body.Item as Record<string, unknown>) : undefined;
      const key = item ?? body.Key;
      return { itemClass: classify(key), action: kind, via: "TransactWriteItems", ...(item === undefined ? {} : { item }), bytes: itemBytes(item ?? key) };
    });
  }
  if (name === "BatchWriteCommand") {
    return Object.values(input.RequestItems as Record<string, Array<Record<string, any>>>)
      .flat()
      .map((request) => {
        const item = request.PutRequest?.Item as Record<string, unknown> | undefined;
        const key = item ?? request.DeleteRequest.Key;
        return { itemClass: classify(key), action: item === undefined ? "Delete" : "Put", via: "BatchWriteItem", ...(item === undefined ? {} : { item }), bytes: itemBytes(key) };
      });
  }
  const single: Record<string, string> = { PutCommand: "Put", UpdateCommand: "Update", DeleteCommand: "Delete" };
  if (single[name] === undefined) return [];
  const item = name === "PutCommand" ? (input.Item as Record<string, unknown>) : undefined;
  const key = item ?? input.Key;
  return [{ itemClass: classify(key), action: single[name], via: "single", ...(item === undefined ? {} : { item }), bytes: itemBytes(key) }];
}

/** Wraps the client so that every write it sends is recorded while `recording.on` is set. */
function recordingClient(real: DynamoDBDocumentClient, writes: RecordedWrite[], recording: { on: boolean }): DynamoDBDocumentClient {
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return (command: { constructor: { name: string }; input: any }, ...rest: unknown[]) => {
        if (recording.on) writes.push(...recordCommand(command));
        return (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest);
      };
    },
  });
}

function jsonFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => path.join(folder, file));
}

async function postBundle(app: ReturnType<typeof createApp>, file: string): Promise<number> {
  const source = readFileSync(file, "utf8");
  const response = await app.fetch(
    new Request(`${IN_PROCESS_ORIGIN}/fhir`, { method: "POST", body: source, headers: { "content-type": "application/fhir+json", prefer: "return=minimal" } }),
  );
  const text = await response.text();
  if (response.status !== 200) throw new Error(`Posting ${path.basename(file)} failed with HTTP ${response.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(source) as { entry: unknown[] }).entry.length;
}

/** Loads the support batches, then records the writes of one patient Bundle. */
async function recordBundle(client: DynamoDBDocumentClient, tableName: string, fixtures: string, prefix: string | undefined) {
  const writes: RecordedWrite[] = [];
  const recording = { on: false };
  const repository = new DynamoDbRepository({ client: recordingClient(client, writes, recording), tableName });
  const app = createApp({ repository, logger: silentLogger, baseUrl: `${IN_PROCESS_ORIGIN}/fhir`, maxBodyBytes: 16 * 1024 * 1024 });

  const patients = jsonFiles(path.join(fixtures, "patients"));
  const file = prefix === undefined ? patients[0] : patients.find((candidate) => path.basename(candidate).startsWith(prefix));
  if (file === undefined) throw new UsageError(`No patient Bundle in ${fixtures}/patients starts with "${prefix}".`);

  log("Loading the support batches, which the patient Bundles reference.");
  for (const support of jsonFiles(path.join(fixtures, "support"))) await postBundle(app, support);
  recording.on = true;
  const entries = await postBundle(app, file);
  recording.on = false;
  return { file: path.basename(file), entries, writes };
}

/** Prints what the store wrote per entry, by item class and by how it was sent. */
function describeWrites(entries: number, writes: RecordedWrite[]): void {
  const groups = new Map<string, { count: number; bytes: number }>();
  for (const write of writes) {
    const key = `${write.itemClass} | ${write.action} | ${write.via}`;
    const group = groups.get(key) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += write.bytes;
    groups.set(key, group);
  }
  console.log("| item | action | sent with | items | per entry | mean bytes |");
  console.log("| --- | --- | --- | ---: | ---: | ---: |");
  for (const [key, group] of [...groups].sort((a, b) => b[1].count - a[1].count)) {
    console.log(`| ${key} | ${group.count} | ${(group.count / entries).toFixed(2)} | ${Math.round(group.bytes / group.count)} |`);
  }
}

/**
 * Copies a recorded item under fresh keys: the resource id, which the keys of heads, versions
 * and index items contain, is replaced in every string attribute by `freshId`, and keys
 * without a resource id get `freshId` appended.
 */
function withFreshKeys(template: Record<string, unknown>, freshId: string): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  const id = typeof template.id === "string" && template.id !== "" ? template.id : undefined;
  for (const [name, value] of Object.entries(template)) item[name] = typeof value === "string" && id !== undefined ? value.split(id).join(freshId) : value;
  if (id === undefined) item.pk = `${String(template.pk)}#${freshId}`;
  return item;
}

/** Produces an endless round of recorded put items, each under fresh keys. */
function itemSource(templates: Array<Record<string, unknown>>): () => Record<string, unknown> {
  let next = 0;
  const run = Math.random().toString(36).slice(2, 8);
  return () => {
    const template = templates[next % templates.length]!;
    return withFreshKeys(template, `f${run}${(next++).toString(36)}`);
  };
}

/** Sends calls from `makeCall` with `concurrency` in flight for `seconds`, and returns the items written per second. */
async function measureRate(makeCall: () => { items: number; send: () => Promise<unknown> }, concurrency: number, seconds: number): Promise<number> {
  let items = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const call = makeCall();
      await call.send();
      items += call.items;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return items / ((performance.now() - started) / 1000);
}

function transactCall(client: DynamoDBDocumentClient, tableName: string, nextItem: () => Record<string, unknown>, size: number) {
  const items = Array.from({ length: size }, () => ({
    Put: { TableName: tableName, Item: nextItem(), ConditionExpression: "attribute_not_exists(pk)" },
  }));
  return { items: size, send: () => client.send(new TransactWriteCommand({ TransactItems: items })) };
}

function batchCall(client: DynamoDBDocumentClient, tableName: string, nextItem: () => Record<string, unknown>) {
  const requests = Array.from({ length: BATCH_SIZE }, () => ({ PutRequest: { Item: nextItem() } }));
  return {
    items: BATCH_SIZE,
    send: async () => {
      let pending: unknown[] = requests;
      while (pending.length > 0) {
        const output = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }));
        pending = output.UnprocessedItems?.[tableName] ?? [];
      }
    },
  };
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repositoryRoot, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

async function main(args: string[]): Promise<number> {
  const options = parseOptions(args);
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  const fixtures = syntheaFolder(repositoryRoot);
  if (!existsSync(fixtures)) throw new UsageError(`The Synthea fixtures folder ${fixtures} does not exist. Set FLINT_FIXTURES to the shared fixtures folder.`);

  console.log(`${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, Node.js ${process.version}, commit ${gitCommit()}`);
  console.log(`load average before: ${loadAverage()}`);

  let local: DynamoDbLocal | undefined;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    log(`Stopping after ${signal}.`);
    void (local?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);

  try {
    if (options.endpoint === undefined) {
      local = await startDynamoDbLocal();
      log(`DynamoDB Local is listening on port ${local.port}.`);
    }
    const endpoint = options.endpoint ?? local!.endpoint;
    const client = createDocumentClient({ endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
    const tableName = `flint-floor-${Date.now()}`;
    await ensureTable(client as unknown as DynamoDBClient, tableName);

    const { file, entries, writes } = await recordBundle(client, tableName, fixtures, options.bundle);
    const itemsPerEntry = writes.length / entries;
    console.log(`\nRecorded ${file}: ${entries} entries, ${writes.length} item writes, ${itemsPerEntry.toFixed(2)} items per entry.\n`);
    describeWrites(entries, writes);

    const templates = writes.flatMap((write) => (write.item === undefined ? [] : [write.item]));
    const nextItem = itemSource(templates);
    log("Warming up.");
    await measureRate(() => transactCall(client, tableName, nextItem, 25), 4, 1);

    console.log(`\n| call | items per call | concurrency | items/s | entries/s at ${itemsPerEntry.toFixed(2)} items per entry | load average after |`);
    console.log("| --- | ---: | ---: | ---: | ---: | --- |");
    const report = (call: string, size: number, concurrency: number, rate: number) =>
      console.log(`| ${call} | ${size} | ${concurrency} | ${Math.round(rate)} | ${Math.round(rate / itemsPerEntry)} | ${loadAverage()} |`);
    let transactRate = 0;
    for (const size of TRANSACTION_SIZES) {
      for (const concurrency of CONCURRENCIES) {
        const rate = await measureRate(() => transactCall(client, tableName, nextItem, size), concurrency, options.seconds);
        report("TransactWriteItems", size, concurrency, rate);
        transactRate = Math.max(transactRate, rate);
      }
    }
    let batchRate = 0;
    for (const concurrency of CONCURRENCIES) {
      const rate = await measureRate(() => batchCall(client, tableName, nextItem), concurrency, options.seconds);
      report("BatchWriteItem", BATCH_SIZE, concurrency, rate);
      batchRate = Math.max(batchRate, rate);
    }

    // Flint sends only some items in transactions (see the table above), so the emulator's limit
    // for Flint's own mix lies between the two rates.
    const transactPerEntry = writes.filter((write) => write.via !== "BatchWriteItem").length / entries;
    const batchPerEntry = writes.filter((write) => write.via === "BatchWriteItem").length / entries;
    const mixRate = 1 / (transactPerEntry / transactRate + batchPerEntry / batchRate);
    console.log(`
Transactional floor: ${Math.round(transactRate / itemsPerEntry)} entries/s (${Math.round(transactRate)} items/s, best row).`);
    console.log(
      `Limit for the recorded mix (${transactPerEntry.toFixed(2)} items per entry in transactions or alone, ${batchPerEntry.toFixed(2)} in batches, best rows): ${Math.round(mixRate)} entries/s.`,
    );
    return 0;
  } finally {
    await local?.stop();
    if (local !== undefined) log("Stopped DynamoDB Local.");
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof UsageError ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
