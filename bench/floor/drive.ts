import autocannon from "autocannon";
import { median, percentile } from "../search-latency/stats.ts";
import type { Capacity } from "./capacity.ts";

/** Latency and throughput of one interaction under load at a fixed concurrency. */
export interface LoadFigures {
  /** Requests that completed in the timed phase, successful or not. */
  requests: number;
  /** Requests that failed: a status other than the expected one, or an error without a response. */
  failures: number;
  /** Count of each status code, or `error` for the floor's rejected calls. */
  outcomes: Record<string, number>;
  seconds: number;
  /** Median and 99th percentile of the successful requests, in milliseconds. */
  medianMs: number;
  p99Ms: number;
  /** Successful requests per second. */
  throughput: number;
  /** Capacity units per successful request, when the floor asked DynamoDB for them. */
  capacity?: Capacity;
}

/** One floor operation: runs the raw store calls for the worker `worker` and returns the capacity they consumed. */
export type FloorOperation = (worker: number) => Promise<Capacity | undefined>;

/**
 * Runs `operation` in `connections` closed loops, first for `warmupSeconds` untimed, then for
 * `seconds` timed, and returns the figures of the timed phase. Every loop starts its next call
 * when the last one ends, as an autocannon connection does.
 */
export async function driveFloor(operation: FloorOperation, connections: number, warmupSeconds: number, seconds: number): Promise<LoadFigures> {
  await runLoops(operation, connections, warmupSeconds);
  return runLoops(operation, connections, seconds);
}

async function runLoops(operation: FloorOperation, connections: number, seconds: number): Promise<LoadFigures> {
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const capacity: Capacity = { read: 0, write: 0 };
  let measuredCapacity = false;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      while (performance.now() < deadline) {
        const callStarted = performance.now();
        try {
          const used = await operation(worker);
          latencies.push(performance.now() - callStarted);
          outcomes.ok = (outcomes.ok ?? 0) + 1;
          if (used !== undefined) {
            measuredCapacity = true;
            capacity.read += used.read;
            capacity.write += used.write;
          }
        } catch (error) {
          const name = error instanceof Error ? error.name : "error";
          outcomes[name] = (outcomes[name] ?? 0) + 1;
        }
      }
    }),
  );
  const figures = summarize(latencies, outcomes, (performance.now() - started) / 1000);
  if (measuredCapacity && latencies.length > 0) figures.capacity = { read: capacity.read / latencies.length, write: capacity.write / latencies.length };
  return figures;
}

/** One HTTP request of an autocannon load, prepared per connection. */
export interface HttpRequestPlan {
  method: string;
  /** Path after the origin, such as `/fhir/Patient/123`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Describes the load of one interaction for autocannon: `next(connection)` returns the request
 * a connection sends next, and `onResponse` receives each response's status and `ETag` header.
 */
export interface HttpLoad {
  expectedStatus: number;
  /** Runs before each autocannon run, with the server's origin. */
  prepare?(origin: string): Promise<void>;
  next(connection: number): HttpRequestPlan;
  onResponse?(connection: number, status: number, etag: string | undefined): void;
}

/**
 * Runs autocannon against `origin` with `connections` connections, first for `warmupSeconds`
 * untimed, then for `seconds` timed. Latencies come from autocannon's `response` events, which
 * carry fractional milliseconds, because its own histogram keeps whole milliseconds.
 */
export async function driveHttp(origin: string, load: HttpLoad, connections: number, warmupSeconds: number, seconds: number): Promise<LoadFigures> {
  if (warmupSeconds > 0) await runAutocannon(origin, load, connections, warmupSeconds);
  return runAutocannon(origin, load, connections, seconds);
}

async function runAutocannon(origin: string, load: HttpLoad, connections: number, seconds: number): Promise<LoadFigures> {
  await load.prepare?.(origin);
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  let connectionCount = 0;
  const started = performance.now();
  let finish: (result: autocannon.Result) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon({
    url: origin,
    connections,
    duration: seconds,
    timeout: 30,
    setupClient: (client) => {
      const connection = connectionCount++;
      client.setRequests([
        {
          setupRequest: (request) => {
            const plan = load.next(connection);
            request.method = plan.method as typeof request.method;
            request.path = plan.path;
            request.headers = { accept: "application/fhir+json", ...(plan.body === undefined ? {} : { "content-type": "application/fhir+json" }), ...plan.headers };
            if (plan.body !== undefined) request.body = plan.body;
            else delete request.body;
            return request;
          },
          onResponse: (status, _body, _context, headers) => load.onResponse?.(connection, status, headerValue(headers, "etag")),
        },
      ]);
    },
  }, (error: unknown, result) => (error ? fail(error) : finish(result)));
  instance.on("response", (_client, status, _bytes, responseTime) => {
    outcomes[String(status)] = (outcomes[String(status)] ?? 0) + 1;
    if (status === load.expectedStatus) latencies.push(responseTime);
  });
  const result = await done;
  const elapsed = (performance.now() - started) / 1000;
  if (result.errors > 0) outcomes.error = (outcomes.error ?? 0) + result.errors;
  return summarize(latencies, outcomes, elapsed);
}

/** Computes the figures from the latencies of the successful requests and the count of every outcome. */
function summarize(latencies: readonly number[], outcomes: Record<string, number>, seconds: number): LoadFigures {
  const requests = Object.values(outcomes).reduce((sum, count) => sum + count, 0);
  return {
    requests,
    failures: requests - latencies.length,
    outcomes,
    seconds,
    medianMs: median(latencies),
    p99Ms: percentile(latencies, 99),
    throughput: latencies.length / seconds,
  };
}

/** Returns a response header by its lower-case name, because autocannon keeps the case that the server sent. */
function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const entry = Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return typeof entry?.[1] === "string" ? entry[1] : undefined;
}
