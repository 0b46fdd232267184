import { FhirError } from "@flint/core";

/** Error names the AWS SDK uses for throttling and transient service faults. */
const TRANSIENT_NAMES = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "InternalServerError",
  "ServiceUnavailable",
  "TimeoutError",
]);

/** Tells whether an error, or any error in its cause chain (ElectroDB wraps SDK errors), is transient. */
export function isTransientError(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    if (TRANSIENT_NAMES.has(current.name)) return true;
  }
  return false;
}

/**
 * Runs one store call and turns a throttling or transient fault, left after the SDK's own
 * retries, into a `transient` FhirError (503 with Retry-After at the API). Other errors pass.
 */
export async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTransientError(error)) {
      throw new FhirError("transient", "The database is overloaded or unavailable; retry the request shortly.", {
        cause: error,
      });
    }
    throw error;
  }
}
