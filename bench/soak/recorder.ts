import { percentile } from "../search-latency/stats.ts";

/**
 * Outcome class of one request: a 2xx, a 4xx that the operation expects under concurrency
 * (such as 412 on a stale `If-Match`), any other 4xx, a 5xx, or no response at all (the
 * connection failed). Other 1xx and 3xx statuses count as `other`.
 */
export type OutcomeClass = "2xx" | "expected4xx" | "other4xx" | "5xx" | "other" | "noResponse";

export const OUTCOME_CLASSES: readonly OutcomeClass[] = ["2xx", "expected4xx", "other4xx", "5xx", "other", "noResponse"];

/** Figures of one operation type over the whole load phase. */
export interface OperationSummary {
  operation: string;
  count: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  outcomes: Record<OutcomeClass, number>;
  /** Count per HTTP status; 0 stands for no response. */
  statuses: Record<string, number>;
}

interface OperationRecord {
  latenciesMs: number[];
  outcomes: Record<OutcomeClass, number>;
  statuses: Map<number, number>;
}

/** Collects the latency and status of every request, per operation type, in memory. */
export class Recorder {
  private readonly operations = new Map<string, OperationRecord>();

  /** Requests that the hard stop aborted; their outcome is unknown, so they are not in the figures. */
  aborted = 0;

  /**
   * Records one request. `status` is undefined when no response arrived; `expected` lists the
   * 4xx statuses that count as expected for this operation.
   */
  record(operation: string, status: number | undefined, latencyMs: number, expected: readonly number[] = []): void {
    let entry = this.operations.get(operation);
    if (entry === undefined) {
      entry = { latenciesMs: [], outcomes: Object.fromEntries(OUTCOME_CLASSES.map((name) => [name, 0])) as Record<OutcomeClass, number>, statuses: new Map() };
      this.operations.set(operation, entry);
    }
    entry.latenciesMs.push(latencyMs);
    entry.outcomes[classify(status, expected)] += 1;
    entry.statuses.set(status ?? 0, (entry.statuses.get(status ?? 0) ?? 0) + 1);
  }

  /** Returns the figures per operation, in the order the operations were first seen, with rates over `seconds`. */
  summarize(seconds: number): OperationSummary[] {
    return [...this.operations].map(([operation, entry]) => ({
      operation,
      count: entry.latenciesMs.length,
      perSecond: entry.latenciesMs.length / seconds,
      p50Ms: percentile(entry.latenciesMs, 50),
      p99Ms: percentile(entry.latenciesMs, 99),
      maxMs: Math.max(...entry.latenciesMs),
      outcomes: { ...entry.outcomes },
      statuses: Object.fromEntries([...entry.statuses].sort(([a], [b]) => a - b).map(([status, count]) => [String(status), count])),
    }));
  }
}

function classify(status: number | undefined, expected: readonly number[]): OutcomeClass {
  if (status === undefined) return "noResponse";
  if (status >= 200 && status < 300) return "2xx";
  if (status >= 500) return "5xx";
  if (status >= 400) return expected.includes(status) ? "expected4xx" : "other4xx";
  return "other";
}
