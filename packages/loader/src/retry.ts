/** Maximum attempts per request, the first one included, when every failure is safe to retry. */
export const MAX_ATTEMPTS = 5;

/** Delay before the first retry when the server sent no `Retry-After`; it doubles per retry. */
export const BACKOFF_BASE_MS = 500;

/** Upper bound of a backoff delay before jitter. */
export const BACKOFF_MAX_MS = 30_000;

/**
 * Upper bound of a wait taken from `Retry-After`.
 *
 * Hint: a server that requests a longer wait is retried after this bound, so that one
 * overloaded moment cannot stall the load for hours.
 */
export const MAX_RETRY_AFTER_MS = 120_000;

/**
 * Parses a `Retry-After` header, given either as delay-seconds or as an HTTP-date
 * (RFC 9110 section 10.2.3), into milliseconds from `nowMs`, capped at `MAX_RETRY_AFTER_MS`.
 * Returns undefined when the header is missing or invalid.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;

  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);

  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(date - nowMs, 0), MAX_RETRY_AFTER_MS);
}

/**
 * Returns the delay before retry number `retry`, counted from 1. The ceiling starts at
 * `BACKOFF_BASE_MS` and doubles per retry up to `BACKOFF_MAX_MS`. The delay is a random value
 * between half the ceiling and the ceiling, so that concurrent bundles do not retry in step.
 * `random` returns a number in [0, 1).
 */
export function backoffDelay(retry: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_BASE_MS * 2 ** (retry - 1), BACKOFF_MAX_MS);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
