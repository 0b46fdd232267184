import { FhirError } from "@flint/core";

/**
 * Error names of throttling and of an overloaded or failing service. The SDK's standard retry
 * strategy has already retried these with backoff and a retry quota, so Flint does not retry
 * them again: another layer of retries would multiply the load on an overloaded table.
 */
const OVERLOAD_NAMES = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
]);

/**
 * Error names of a call whose outcome is unknown: it timed out, was aborted, or is still being
 * processed under the same client request token (`TransactionInProgressException`).
 */
const UNKNOWN_OUTCOME_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException", "AbortError", "TransactionInProgressException"]);

/** Node socket error codes of a connection that failed or dropped, with or without the request applied. */
const NETWORK_CODES = new Set(["ECONNRESET", "ECONNREFUSED", "ECONNABORTED", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** Attempts of one idempotent call that keeps failing with a timeout or a dropped connection. */
export const MAX_CALL_ATTEMPTS = 3;

/** Walks an error and its causes, since ElectroDB wraps SDK errors. */
function* causes(error: unknown): Generator<Error> {
  for (let current = error; current instanceof Error; current = (current as { cause?: unknown }).cause) yield current;
}

/** Tells whether a call failed without a definite response: a timeout, an abort or a lost connection. */
export function isUnknownOutcomeError(error: unknown): boolean {
  for (const current of causes(error)) {
    if (UNKNOWN_OUTCOME_NAMES.has(current.name)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/** Tells whether an error means that the store is overloaded or unreachable, so a later request may succeed. */
export function isTransientError(error: unknown): boolean {
  if (isUnknownOutcomeError(error)) return true;
  for (const current of causes(error)) if (OVERLOAD_NAMES.has(current.name)) return true;
  return false;
}

/**
 * Runs one store call that is safe to send twice, because it is a read, an unconditional put or
 * delete, or a `TransactWriteItems` that carries its client request token. A call that timed
 * out, was aborted or lost its connection is sent again, up to `MAX_CALL_ATTEMPTS` times with
 * jittered exponential backoff. A transient fault that remains, including throttling, becomes a
 * `transient` FhirError (503 with Retry-After at the API). Other errors pass unchanged.
 */
export async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof FhirError) throw error;
      if (isUnknownOutcomeError(error) && attempt < MAX_CALL_ATTEMPTS) {
        await backoff(attempt);
        continue;
      }
      if (isTransientError(error)) throw transientError(error);
      throw error;
    }
  }
}

/** Wraps a store fault in the error that the API answers with 503 and Retry-After. */
export function transientError(cause: unknown): FhirError {
  return new FhirError("transient", "The database is overloaded or unavailable; retry the request shortly.", { cause });
}

/** Waits a random delay of up to 50 ms × 2^attempt, at most 1.6 s ("full jitter"). */
export function backoff(attempt: number): Promise<void> {
  const delay = Math.random() * 50 * 2 ** Math.min(attempt, 5);
  return new Promise((resolve) => setTimeout(resolve, delay));
}
