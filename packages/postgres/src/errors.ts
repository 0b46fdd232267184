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

/** Attempts of one transaction whose connection was lost before it sent COMMIT. */
export const MAX_CONNECTION_ATTEMPTS = 3;

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
 * Runs `work` in one SQL transaction and runs it again in a new transaction when that is safe.
 * A serialization failure or a deadlock is retried up to `MAX_TRANSACTION_ATTEMPTS` times. A
 * connection lost before `work` finished is retried up to `MAX_CONNECTION_ATTEMPTS` times. Each
 * retry waits a growing, jittered delay. When the connection fails after `work` finished, COMMIT may have been
 * applied, so the transaction is never run again. `confirm` then reads, on a new connection,
 * whether the result was committed. If it was, the result is returned, and otherwise the
 * connection error is raised. `work` must have no effect outside the database.
 */
export async function inTransaction<T>(client: SqlClient, work: (client: SqlClient) => Promise<T>, confirm?: (result: T) => Promise<boolean>): Promise<T> {
  let conflicts = 0;
  let lostConnections = 0;
  for (;;) {
    let finished: { result: T } | undefined;
    try {
      return await client.transaction(async (transaction) => {
        const result = await work(transaction);
        finished = { result };
        return result;
      });
    } catch (error) {
      if (finished !== undefined && isTransientError(error)) {
        const committed = confirm === undefined ? false : await confirm(finished.result).catch(() => false);
        if (committed) return finished.result;
        throw error;
      }
      if (isRetryableError(error) && ++conflicts < MAX_TRANSACTION_ATTEMPTS) {
        await backoff(conflicts);
        continue;
      }
      if (isTransientError(error) && ++lostConnections < MAX_CONNECTION_ATTEMPTS) {
        await backoff(lostConnections);
        continue;
      }
      throw error;
    }
  }
}

/** Waits a short, jittered delay that doubles with each attempt, up to about 1.3 s. */
export function backoff(attempt: number): Promise<void> {
  const delay = Math.random() * 10 * 2 ** Math.min(attempt, 7);
  return new Promise((resolve) => setTimeout(resolve, delay));
}

/**
 * Runs one repository call and maps database failures to a `transient` FhirError, which the API
 * returns as 503 with Retry-After. Such failures are an unreachable or overloaded database, and a
 * serialization failure or deadlock left after the retries, as the DynamoDB store treats
 * transaction conflicts. Other errors pass unchanged.
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
      throw new FhirError("transient", "The resources are locked by other requests; retry the request shortly.", { cause: error });
    }
    throw error;
  }
}
