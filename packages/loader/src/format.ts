/** Number and duration formats shared by the progress display and the summary, in en-US style. */

/** Formats a whole number with thousands separators, such as `12,345`. */
export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

/** Formats a count with its noun, such as `1 bundle` or `12,345 entries`. */
export function formatQuantity(count: number, singular: string, plural: string): string {
  return `${formatCount(count)} ${count === 1 ? singular : plural}`;
}

/** Formats `count` per second over `elapsedMs`, with one decimal below 10. */
export function formatRate(count: number, elapsedMs: number): string {
  if (elapsedMs <= 0) return "0.0";

  const rate = (count * 1000) / elapsedMs;
  return rate < 10 ? rate.toFixed(1) : formatCount(Math.round(rate));
}

/** Formats a duration as `m:ss`, or `h:mm:ss` from one hour on. */
export function formatElapsed(elapsedMs: number): string {
  const totalSeconds = Math.floor(elapsedMs / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = String(totalSeconds % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}
