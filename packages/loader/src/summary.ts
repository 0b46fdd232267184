import type { BundleFailure, BundleResult, EntryResult } from "./load-bundle.ts";
import type { EntryOutcome } from "./outcome.ts";
import { formatCount, formatQuantity, formatRate } from "./format.ts";

/** Everything a load did, as reported at the end. */
export interface LoadReport {
  /** Results of the bundles that were sent, in the order of the groups and of the files in each. */
  results: BundleResult[];
  elapsedMs: number;
  /** Requests sent again, by reason, such as `{ "503": 2 }`. */
  retries: Record<string, number>;
  /** Batch entries sent again because their response status was 503 or 429. */
  resentEntries: number;
  /** Bundles left unsent because the load was interrupted. */
  unsent: { bundles: number; entries: number };
}

/** Summary columns, in display order; `other` is shown only when it counts something. */
const COLUMNS: readonly EntryOutcome[] = ["created", "updated", "existing", "deleted", "other", "failed"];

type Counts = Record<EntryOutcome, number>;

/** Opening words of a failure line for each kind of bundle failure. */
const FAILURE_LABELS: Record<BundleFailure["kind"], string> = {
  rejected: "rejected",
  unknown: "outcome unknown",
  "not-sent": "not sent",
  unreadable: "could not be read",
};

/**
 * Formats the end-of-load report for stdout: a table of entries per resource type and
 * outcome with a total row, the time taken and the rate, then one line per failure. It
 * contains resource types, entry indexes, statuses and server diagnostics, but no resource data.
 */
export function formatSummary(report: LoadReport): string {
  const entryCount = report.results.reduce((sum, result) => sum + result.entries.length, 0);
  const lines = [
    ...formatTable(report.results),
    "",
    `${formatQuantity(entryCount, "entry", "entries")} in ${formatQuantity(report.results.length, "bundle", "bundles")} in ${formatSeconds(report.elapsedMs)} (${formatRate(entryCount, report.elapsedMs)} entries/s).`,
  ];

  const retryCounts = Object.entries(report.retries).filter(([, count]) => count > 0);
  if (retryCounts.length > 0) {
    const total = retryCounts.reduce((sum, [, count]) => sum + count, 0);
    lines.push(`Retried ${formatQuantity(total, "request", "requests")} (${retryCounts.map(([reason, count]) => `${reason}: ${formatCount(count)}`).join(", ")}).`);
  }
  if (report.resentEntries > 0) lines.push(`Re-sent ${formatQuantity(report.resentEntries, "batch entry", "batch entries")} that got 503 or 429.`);
  if (report.unsent.bundles > 0) {
    const bundles = formatQuantity(report.unsent.bundles, "bundle", "bundles");
    lines.push(`Interrupted: ${bundles} (${formatQuantity(report.unsent.entries, "entry", "entries")}) not sent.`);
  }

  const failures = formatFailures(report.results);
  if (failures.length > 0) lines.push("", "Failures:", ...failures.map((line) => `  ${line}`));
  if (report.results.some((result) => result.failure?.kind === "unknown" || result.entries.some(isUnknownEntry))) {
    lines.push("", 'Bundles and entries marked "outcome unknown" may have been applied; check the server before posting them again.');
  }
  return `${lines.join("\n")}\n`;
}

/** Returns the process exit status for a load: 130 when bundles were left unsent, 1 when anything failed, else 0. */
export function exitCodeFor(report: LoadReport): number {
  if (report.unsent.bundles > 0) return 130;
  const failed = report.results.some((result) => result.failure !== undefined || result.entries.some((entry) => entry.outcome === "failed"));
  return failed ? 1 : 0;
}

function formatTable(results: readonly BundleResult[]): string[] {
  const byType = new Map<string, Counts>();
  const total = emptyCounts();
  for (const entry of results.flatMap((result) => result.entries)) {
    let counts = byType.get(entry.resourceType);
    if (counts === undefined) {
      counts = emptyCounts();
      byType.set(entry.resourceType, counts);
    }
    counts[entry.outcome]++;
    total[entry.outcome]++;
  }

  const columns = COLUMNS.filter((column) => column !== "other" || total.other > 0);
  const types = [...byType.keys()].sort();
  const rows = [
    ["resource type", ...columns],
    ...types.map((type) => [type, ...columns.map((column) => formatCount(byType.get(type)![column]))]),
    ["total", ...columns.map((column) => formatCount(total[column]))],
  ];

  const widths = columns.map((_column, position) => Math.max(...rows.map((row) => row[position + 1]!.length)));
  const typeWidth = Math.max(...rows.map((row) => row[0]!.length));
  return rows.map((row) => [row[0]!.padEnd(typeWidth), ...widths.map((width, position) => row[position + 1]!.padStart(width))].join("  ").trimEnd());
}

function emptyCounts(): Counts {
  return { created: 0, updated: 0, existing: 0, deleted: 0, other: 0, failed: 0 };
}

/**
 * Lists failures: one line per bundle that failed as a whole, such as
 * `b.json: rejected: 412 Precondition Failed: entry 3 (Patient): version conflict`, and one
 * line per failed entry otherwise, such as `a.json entry 12 (Observation): 412 Precondition Failed: …`.
 */
function formatFailures(results: readonly BundleResult[]): string[] {
  const lines: string[] = [];
  for (const result of results) {
    const failure = result.failure;
    if (failure !== undefined) {
      const status = failure.status === undefined ? "" : `${failure.status}: `;
      lines.push(`${result.path}: ${result.type} ${FAILURE_LABELS[failure.kind]}: ${status}${failure.message}`);
      continue;
    }

    for (const entry of result.entries) {
      if (entry.outcome !== "failed") continue;
      const detail = [entry.status, entry.message].filter((part) => part !== undefined).join(": ");
      lines.push(`${result.path} entry ${entry.index} (${entry.resourceType}): ${detail === "" ? "failed" : detail}`);
    }
  }
  return lines;
}

function isUnknownEntry(entry: EntryResult): boolean {
  return entry.outcome === "failed" && entry.message?.startsWith("outcome unknown") === true;
}

function formatSeconds(elapsedMs: number): string {
  return `${(elapsedMs / 1000).toFixed(1)} s`;
}
