import type { CpuUse } from "./cpu.ts";
import type { ClientFinding } from "./pool.ts";
import type { MemorySample } from "./processes.ts";
import type { OperationSummary, OutcomeClass } from "./recorder.ts";
import type { EndToEndResult, LogSummary, StoreCheck } from "./verify.ts";

/** Everything one soak run measured and checked, as written to the JSON result file. */
export interface SoakResult {
  command: string;
  date: string;
  store: string;
  minutes: number;
  clients: number;
  /** Server process: its entry (see `--entry`) and the Node flags before it. */
  server: { entry: string; nodeFlags: string[] };
  machine: { cpu: string; cores: number; node: string; commit: string };
  /** One-minute load average before the store started and after the load stopped. */
  loadAverageBefore: number;
  loadAverageAfter: number;
  seed: { resources: number; seconds: number };
  loadSeconds: number;
  /** Requests in flight when the hard stop aborted them. */
  abortedAtStop: number;
  /** Cores used on average during the load phase, per role. */
  cpuDuringLoad: CpuUse;
  operations: OperationSummary[];
  /** Server resident memory: the max over the whole run and during the load phase, and the value when the load stopped. */
  memory: { maxBytes: number; maxDuringLoadBytes: number; finalBytes: number; samples: MemorySample[] };
  /** Set when the server process exited before the benchmark stopped it. */
  serverExit: string | undefined;
  clientFindings: ClientFinding[];
  endToEnd: EndToEndResult | undefined;
  storeCheck: StoreCheck | undefined;
  serverLog: LogSummary;
}

const OUTCOME_COLUMNS: [OutcomeClass, string][] = [
  ["2xx", "2xx"],
  ["expected4xx", "expected 4xx"],
  ["other4xx", "other 4xx"],
  ["5xx", "5xx"],
  ["noResponse", "no response"],
];

/** Formats the figures per operation as a Markdown table, with a total row. */
export function operationsTable(operations: readonly OperationSummary[], loadSeconds: number): string {
  const header = ["operation", "requests", "req/s", "p50 ms", "p99 ms", ...OUTCOME_COLUMNS.map(([, label]) => label)];
  const rows = operations.map((operation) => [
    operation.operation,
    String(operation.count),
    operation.perSecond.toFixed(1),
    milliseconds(operation.p50Ms),
    milliseconds(operation.p99Ms),
    ...OUTCOME_COLUMNS.map(([outcome]) => String(operation.outcomes[outcome])),
  ]);
  const total = operations.reduce((sum, operation) => sum + operation.count, 0);
  rows.push([
    "all",
    String(total),
    (total / loadSeconds).toFixed(1),
    "",
    "",
    ...OUTCOME_COLUMNS.map(([outcome]) => String(operations.reduce((sum, operation) => sum + operation.outcomes[outcome], 0))),
  ]);
  return [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

/** Formats the run as the plain-text summary printed at the end. */
export function formatSummary(result: SoakResult): string {
  const lines = [
    `Store ${result.store}: ${result.clients} clients for ${result.loadSeconds.toFixed(1)} s after seeding ${result.seed.resources} resources in ${result.seed.seconds.toFixed(1)} s.`,
    `Server: ${result.server.entry === "tsx" ? "main.ts through tsx" : "bundled as by npm start"}, Node flags: ${result.server.nodeFlags.length === 0 ? "none" : result.server.nodeFlags.join(" ")}.`,
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, commit ${result.machine.commit}.`,
    `1-minute load average: ${result.loadAverageBefore.toFixed(2)} before, ${result.loadAverageAfter.toFixed(2)} after.`,
    "",
    operationsTable(result.operations, result.loadSeconds),
    "",
    `Requests aborted by the hard stop: ${result.abortedAtStop}.`,
    `CPU during the load, in cores: server ${cores(result.cpuDuringLoad.server)}, store processes ${cores(result.cpuDuringLoad.store)}, ` +
      `benchmark clients ${cores(result.cpuDuringLoad.clients)}, everything else ${cores(result.cpuDuringLoad.other)} (machine ${cores(result.cpuDuringLoad.machine)} of ${result.machine.cores}).`,
    `Server resident memory (VmRSS): max ${mebibytes(result.memory.maxBytes)} (${mebibytes(result.memory.maxDuringLoadBytes)} during the load), ` +
      `${mebibytes(result.memory.finalBytes)} when the load stopped; during the load ${memoryTrend(result.memory.samples.filter((sample) => sample.phase === "load"))}.`,
  ];
  if (result.serverExit !== undefined) lines.push(`The server process exited during the run: ${result.serverExit}.`);

  lines.push("", "Checks:");
  lines.push(`  client-side findings during the load: ${result.clientFindings.length}`);
  for (const finding of result.clientFindings.slice(0, 10)) lines.push(`    ${finding.resource}: ${finding.problem}`);
  if (result.endToEnd === undefined) {
    lines.push("  end-to-end check: not run");
  } else {
    const e2e = result.endToEnd;
    lines.push(`  end-to-end check: ${e2e.checked} of ${e2e.eligible} client-written resources checked (${e2e.uncertain} left out, a write got no response), ${e2e.findings.length} findings`);
    for (const finding of e2e.findings.slice(0, 10)) lines.push(`    ${finding.resource}: ${finding.problem}`);
  }
  if (result.storeCheck === undefined) {
    lines.push("  store checker: not run");
  } else {
    lines.push(`  store checker ${result.storeCheck.checker}: ${result.storeCheck.findings.length} findings`);
    for (const finding of result.storeCheck.findings.slice(0, 10)) lines.push(`    ${finding.problem}: ${finding.keys.slice(0, 4).join(", ")}`);
  }

  const log = result.serverLog;
  if (log.errors.length > 0 || Object.keys(log.serverErrorsByInteraction).length > 0 || log.otherLines.length > 0) {
    lines.push("", "Server log:");
    for (const [interaction, count] of Object.entries(log.serverErrorsByInteraction)) lines.push(`  ${count} responses with status 5xx to ${interaction}`);
    for (const error of log.errors.slice(0, 10)) lines.push(`  ${error.count} × ${error.interaction}: ${error.error} ${error.message} (${error.firstStackLine})`);
    for (const line of log.otherLines) lines.push(`  | ${line}`);
  }
  return lines.join("\n");
}

/** Describes the resident memory at each quarter of the samples, to show a climb. */
function memoryTrend(samples: readonly MemorySample[]): string {
  if (samples.length === 0) return "no samples";
  const points = [0.25, 0.5, 0.75, 1].map((share) => samples[Math.max(0, Math.ceil(share * samples.length) - 1)]!);
  return `at ${points.map((sample) => `${sample.seconds.toFixed(0)} s ${mebibytes(sample.bytes)}`).join(", ")}`;
}

function cores(value: number): string {
  return value.toFixed(2);
}

export function mebibytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function milliseconds(value: number): string {
  return value < 10 ? value.toFixed(1) : value.toFixed(0);
}
