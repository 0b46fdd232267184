/** Values of `date` search parameters (R4 search.html#date). */
import { parseDateRange, type DateRange } from "../../datetime.ts";
import { OPEN_END, OPEN_START, type IndexValue } from "../model.ts";
import type { FhirValue } from "./evaluate.ts";

const DATE_TYPES = new Set(["date", "dateTime", "instant"]);

/**
 * Appends the range of instants that one item covers: a date, dateTime or instant at its
 * precision, a Period from start to end, or a Timing from its first to its last instant. A
 * missing bound is OPEN_START or OPEN_END. Other types (`string`, `Age`, `Range` in choice
 * elements such as `Condition.onset[x]`) add nothing.
 */
export function extractDates(item: FhirValue, values: IndexValue[]): void {
  let range: DateRange | undefined;
  if (item.type !== undefined && DATE_TYPES.has(item.type) && typeof item.value === "string") {
    range = parseFhirDate(item.value);
  } else if (item.type === "Period") {
    range = periodRange(item.value);
  } else if (item.type === "Timing") {
    range = timingRange(item.value);
  }
  if (range !== undefined) values.push({ type: "date", start: range.start, end: range.end });
}

/**
 * Parses a date, dateTime or instant.
 * NOTE: R4 requires a time zone on a dateTime with a time of day. This reads one without a zone
 * (`2024-05-01T10:00:00`) as UTC instead of dropping it.
 */
export function parseFhirDate(text: string): DateRange | undefined {
  return parseDateRange(text) ?? (text.includes("T") ? parseDateRange(`${text}Z`) : undefined);
}

/** Returns the range of a Period, open on a missing side, or undefined when it has no bound. */
function periodRange(period: unknown): DateRange | undefined {
  if (typeof period !== "object" || period === null) return undefined;
  const { start, end } = period as { start?: unknown; end?: unknown };
  if (typeof start !== "string" && typeof end !== "string") return undefined;

  const startRange = typeof start === "string" ? parseFhirDate(start) : undefined;
  const endRange = typeof end === "string" ? parseFhirDate(end) : undefined;
  if ((typeof start === "string" && startRange === undefined) || (typeof end === "string" && endRange === undefined)) return undefined;
  return { start: startRange?.start ?? OPEN_START, end: endRange?.end ?? OPEN_END };
}

/**
 * Returns the outer range of a Timing: from the earliest of its events and `repeat.boundsPeriod`
 * to the latest, so a Timing bounded only by `boundsPeriod.end` covers [OPEN_START, end).
 * NOTE: `boundsDuration` and `boundsRange` are lengths, not instants, and are not used; a Timing
 * with neither events nor `boundsPeriod` has no range.
 */
function timingRange(timing: unknown): DateRange | undefined {
  if (typeof timing !== "object" || timing === null) return undefined;
  const { event, repeat } = timing as { event?: unknown; repeat?: { boundsPeriod?: unknown } };

  const ranges: DateRange[] = [];
  if (Array.isArray(event)) {
    for (const text of event) {
      const range = typeof text === "string" ? parseFhirDate(text) : undefined;
      if (range !== undefined) ranges.push(range);
    }
  }
  const bounds = typeof repeat === "object" && repeat !== null ? periodRange(repeat.boundsPeriod) : undefined;
  if (bounds !== undefined) ranges.push(bounds);
  if (ranges.length === 0) return undefined;

  return {
    start: Math.min(...ranges.map((range) => range.start)),
    end: Math.max(...ranges.map((range) => range.end)),
  };
}
