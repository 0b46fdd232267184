import { FhirError } from "@flint/core";
import type { SqlClient } from "./client.ts";

/** SQLSTATE codes after which the same transaction may succeed when run again. */
const RETRYABLE_STATES = new Set(["40001", "40P01"]);

/**
 * SQLSTATE codes and classes of a database that is unreachable, restarting or overloaded:
 * class 08 (connection exception), class 53 (insufficient resources), 57P01 to 57P03
 * (shutdown, crash, not yet accepting connections), and 57014 (statement cancelled, for
 * example by `statement_timeout`).
 */
const TRANSIENT_STATES = new Set(["57P01", "57P02", "57P03", "57014"]);
const TRANSIENT_CLASSES = new Set(["08", "53"]);

/** Codes of the `postgres` client for connections it lost or could not open, and Node's socket errors. */
const TRANSIENT_CLIENT_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** Attempts of one transaction that keeps failing with a serialization failure or a deadlock. */
export const MAX_TRANSACTION_ATTEMPTS = 6;

/** Returns the SQLSTATE or client error code of an error, or of the first error in its cause chain that has one. */
function errorCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return undefined;
}

/** Tells whether an error is a serialization failure (40001) or a deadlock (40P01). */
export function isRetryableError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && RETRYABLE_STATES.has(code);
}

/** Tells whether an error means the database is unreachable or overloaded, so a later request may succeed. */
export function isTransientError(error: unknown): boolean {
  const code = errorCode(error);
  if (code === undefined) return false;
  return TRANSIENT_STATES.has(code) || TRANSIENT_CLIENT_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && TRANSIENT_CLASSES.has(code.slice(0, 2)));
}

/**
 * Runs `work` in one SQL transaction, and runs it again in a new transaction after a
 * serialization failure or a deadlock, up to `MAX_TRANSACTION_ATTEMPTS` times with a growing,
 * jittered delay. `work` must have no effect outside the database, because it may run more than once.
 */
export async function inTransaction<T>(client: SqlClient, work: (client: SqlClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.transaction(work);
    } catch (error) {
      if (!isRetryableError(error) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
      await backoff(attempt);
    }
  }
}

/** Waits a short, jittered delay that doubles with each attempt, up to about 1.3 s. */
export function backoff(attempt: number): Promise<void> {
  const delay = Math.random() * 10 * 2 ** Math.min(attempt, 7);
  return new Promise((resolve) => setTimeout(resolve, delay));
}

/**
 * Runs one repository call and maps database failures to FhirError kinds: an unreachable or
 * overloaded database becomes `transient` (503 with Retry-After at the API), and a serialization
 * failure or deadlock left after the retries becomes `conflict`. Other errors pass unchanged.
 */
export async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof FhirError) throw error;
    if (isTransientError(error)) {
      throw new FhirError("transient", "The database is overloaded or unavailable; retry the request shortly.", { cause: error });
    }
    if (isRetryableError(error)) {
      throw new FhirError("conflict", "The resources are being changed by other requests; send the request again.", { cause: error });
    }
    throw error;
  }
}
