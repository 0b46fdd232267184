import { setTimeout as delay } from "node:timers/promises";
import { backoffDelay, MAX_ATTEMPTS, parseRetryAfter } from "./retry.ts";

/** Clock, randomness, sleep and HTTP transport, injected so that tests can control them. */
export interface HttpDependencies {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
}

export const defaultHttpDependencies: HttpDependencies = {
  fetch: (input, init) => fetch(input, init),
  sleep: (ms) => delay(ms),
  random: Math.random,
  now: Date.now,
};

/** Reason for sending a request again. */
export type RetryReason = "503" | "429" | "connection refused";

/** A retry about to happen, reported so that the progress display can count it. */
export interface RetryEvent {
  reason: RetryReason;
  /** The attempt that failed, from 1. */
  attempt: number;
  delayMs: number;
}

export interface PostOptions {
  /** The server base URL; a batch or transaction is posted to the base itself. */
  url: string;
  /** Time allowed for each attempt, from sending the request to the end of the response body. */
  timeoutMs: number;
  onRetry?: (event: RetryEvent) => void;
}

/**
 * The end of a post after all retries:
 * - `response`: the server responded with this status, which is still 503 or 429 when every
 *   attempt got one. `body` is the parsed JSON, or undefined when the body was not JSON.
 * - `not-sent`: no connection was made, so the server cannot have applied anything.
 * - `unknown`: the request may have reached the server but no complete response came back,
 *   so the bundle may or may not have been applied.
 */
export type PostResult =
  | { kind: "response"; status: number; body: unknown; attempts: number }
  | { kind: "not-sent"; reason: string; attempts: number }
  | { kind: "unknown"; reason: string; attempts: number };

type Attempt =
  | { kind: "response"; status: number; body: unknown; retryAfter: string | null }
  | { kind: "not-sent"; reason: string; refused: boolean }
  | { kind: "unknown"; reason: string };

/** Error codes of a connection that failed before any byte of the request was written. */
const CONNECT_ERROR_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

/**
 * Posts a batch or transaction Bundle to the server base (R4 http.html#transaction). Retries
 * only when the server cannot have applied the bundle, which is after a 503 or 429 response
 * and after a refused connection. The wait is `Retry-After` when the response has one, else
 * an exponential backoff with jitter. Makes at most `MAX_ATTEMPTS` attempts. A timeout or a connection lost after the request
 * was written is never retried, because the server may have committed the bundle.
 */
export async function postBundle(body: Uint8Array<ArrayBuffer> | string, options: PostOptions, dependencies: HttpDependencies): Promise<PostResult> {
  for (let attempt = 1; ; attempt++) {
    const result = await sendOnce(body, options, dependencies);

    const reason = retryReason(result);
    if (reason === undefined || attempt >= MAX_ATTEMPTS) return finish(result, attempt);

    const retryAfter = result.kind === "response" ? parseRetryAfter(result.retryAfter, dependencies.now()) : undefined;
    const delayMs = retryAfter ?? backoffDelay(attempt, dependencies.random);
    options.onRetry?.({ reason, attempt, delayMs });
    await dependencies.sleep(delayMs);
  }
}

function retryReason(attempt: Attempt): RetryReason | undefined {
  if (attempt.kind === "response" && attempt.status === 503) return "503";
  if (attempt.kind === "response" && attempt.status === 429) return "429";
  if (attempt.kind === "not-sent" && attempt.refused) return "connection refused";
  return undefined;
}

function finish(attempt: Attempt, attempts: number): PostResult {
  if (attempt.kind === "response") return { kind: "response", status: attempt.status, body: attempt.body, attempts };
  return { kind: attempt.kind, reason: attempt.reason, attempts };
}

async function sendOnce(body: Uint8Array<ArrayBuffer> | string, options: PostOptions, dependencies: HttpDependencies): Promise<Attempt> {
  const signal = AbortSignal.timeout(options.timeoutMs);

  let response: Response;
  try {
    response = await dependencies.fetch(options.url, {
      method: "POST",
      headers: { "Content-Type": "application/fhir+json", Accept: "application/fhir+json", Prefer: "return=minimal" },
      body,
      signal,
    });
  } catch (error) {
    return describeFailure(error, options);
  }

  const status = response.status;
  const retryAfter = response.headers.get("Retry-After");
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    // A 503 or 429 status alone means that nothing was applied, so a lost body does not matter.
    if (status === 503 || status === 429) return { kind: "response", status, body: undefined, retryAfter };
    const cause = isTimeout(error) ? `timed out after ${options.timeoutMs / 1000} s` : `failed: ${describeError(error)}`;
    return { kind: "unknown", reason: `the server responded with HTTP ${status}, but reading the response body ${cause}` };
  }

  return { kind: "response", status, body: parseJson(text), retryAfter };
}

function describeFailure(error: unknown, options: PostOptions): Attempt {
  if (isTimeout(error)) return { kind: "unknown", reason: `no response within ${options.timeoutMs / 1000} s` };

  const code = errorCode(error);
  const origin = new URL(options.url).origin;
  // Fetch refuses ports on the "bad port" list of the Fetch standard before it connects.
  if (code === undefined && error instanceof Error && error.cause instanceof Error && error.cause.message === "bad port") {
    return { kind: "not-sent", reason: `fetch does not allow the port of ${origin}; use another port`, refused: false };
  }
  if (code === "ECONNREFUSED") return { kind: "not-sent", reason: `connection refused by ${origin}; is the server running?`, refused: true };
  if (code !== undefined && CONNECT_ERROR_CODES.has(code)) {
    return { kind: "not-sent", reason: `could not connect to ${origin} (${code})`, refused: false };
  }
  return { kind: "unknown", reason: `the connection was lost before a response arrived (${describeError(error)})` };
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}

/** Returns the first string `code` along the `cause` chain, where undici puts the socket error code. */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const code: unknown = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeError(error: unknown): string {
  const code = errorCode(error);
  if (code !== undefined) return code;

  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? cause.message : String(cause);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
