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

export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = (error as { cause?: unknown }).cause;
  return TRANSIENT_NAMES.has(error.name) || (cause instanceof Error && TRANSIENT_NAMES.has(cause.name));
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
