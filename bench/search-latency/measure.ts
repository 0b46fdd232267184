import type { CallCounter } from "./dynamodb-calls.ts";
import type { QueryKind } from "./queries.ts";
import type { Send } from "./transport.ts";

/** Headers of every search: strict handling, so an unsupported parameter fails instead of being dropped. */
const SEARCH_HEADERS = { accept: "application/fhir+json", prefer: "handling=strict" };

/** A request that did not return 200. */
export interface Failure {
  path: string;
  status: number;
  /** The OperationOutcome diagnostics, or the start of the body. */
  message: string;
}

/** Measurements of one kind of search over one transport. */
export interface Timing {
  label: string;
  /** Latency of each timed request in ms, from sending it to reading the whole body. */
  durations: number[];
  /** `search.mode = match` entries on the first page of each successful request. */
  matches: number[];
  /** `search.mode = include` entries of each successful request. */
  included: number[];
  /** `Bundle.total` of each successful request that returned one. */
  totals: number[];
  /** DynamoDB requests that each successful timed request caused. */
  dynamoDbCalls: number[];
  /** Items those DynamoDB requests returned, per successful timed request. */
  itemsRead: number[];
  failures: Failure[];
}

/**
 * Sends `warmup` untimed and then `runs` timed requests of each kind over each transport, one
 * at a time. Requests go round-robin over the kinds and, within a kind, over the transports, so
 * that a burst of load from other programs and the warming of caches spread evenly instead of
 * hitting one kind or transport. Warm-up requests use the first paths of each kind and timed
 * requests the paths after them. Returns one list of timings per transport, in query order.
 */
export async function measure(
  queries: readonly QueryKind[],
  transports: readonly Send[],
  counter: CallCounter,
  warmup: number,
  runs: number,
  log: (line: string) => void,
): Promise<Timing[][]> {
  const timings = transports.map(() =>
    queries.map((query): Timing => ({ label: query.label, durations: [], matches: [], included: [], totals: [], dynamoDbCalls: [], itemsRead: [], failures: [] })),
  );

  for (let round = 0; round < warmup + runs; round++) {
    for (const [index, query] of queries.entries()) {
      const path = query.paths[round];
      if (path === undefined) throw new Error(`Query "${query.label}" has ${query.paths.length} paths, fewer than the ${warmup + runs} requests to send.`);
      for (const [transport, send] of transports.entries()) {
        await sendTimed(send, counter, path, round < warmup, timings[transport]![index]!);
      }
    }
    if (round + 1 === warmup) log(`Sent ${warmup} warm-up rounds.`);
    else if ((round + 1 - warmup) % 10 === 0) log(`Sent ${round + 1 - warmup} of ${runs} timed rounds.`);
  }
  return timings;
}

async function sendTimed(send: Send, counter: CallCounter, path: string, warmingUp: boolean, timing: Timing): Promise<void> {
  const { calls, items } = counter;
  const started = performance.now();
  const reply = await send("GET", path, { headers: SEARCH_HEADERS });
  const elapsed = performance.now() - started;

  if (reply.status !== 200) {
    timing.failures.push({ path, status: reply.status, message: diagnosticsOf(reply.text) });
    return;
  }
  if (warmingUp) return;
  timing.durations.push(elapsed);
  // Requests are sent one at a time, so every DynamoDB request in between belongs to this one.
  timing.dynamoDbCalls.push(counter.calls - calls);
  timing.itemsRead.push(counter.items - items);
  countEntries(timing, reply.text);
}

function countEntries(timing: Timing, text: string): void {
  const bundle = JSON.parse(text) as { total?: number; entry?: Array<{ search?: { mode?: string } }> };
  const entries = bundle.entry ?? [];
  timing.matches.push(entries.filter((entry) => entry.search?.mode === "match").length);
  timing.included.push(entries.filter((entry) => entry.search?.mode === "include").length);
  if (bundle.total !== undefined) timing.totals.push(bundle.total);
}

function diagnosticsOf(text: string): string {
  try {
    const outcome = JSON.parse(text) as { issue?: Array<{ diagnostics?: string }> };
    const diagnostics = outcome.issue?.map((issue) => issue.diagnostics).filter((message) => message !== undefined);
    if (diagnostics !== undefined && diagnostics.length > 0) return diagnostics.join(" ");
  } catch {
    // Not JSON: the start of the body is shown instead.
  }
  return text.slice(0, 300);
}
