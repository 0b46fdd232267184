/** Date search values (R4 search.html#date). */
import { parseDateRange, type DateRange } from "../../datetime.ts";
import type { QueryValue } from "../model.ts";
import { invalidValue } from "./errors.ts";
import { splitPrefix } from "./prefix.ts";

const TIME_WITHOUT_ZONE = /T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

/**
 * Parses a date, dateTime or instant into the range it covers at its precision: `2024` is the
 * whole year. R4 lets a search time omit its zone and reads it in the server's zone. Flint's
 * zone for this is UTC, so `2024-05-01T10:00` is read as `2024-05-01T10:00Z`.
 */
export function parseSearchDate(text: string): DateRange | undefined {
  const range = parseDateRange(text);
  if (range !== undefined) return range;
  if (TIME_WITHOUT_ZONE.test(text)) return parseDateRange(`${text}Z`);
  return undefined;
}

/** Parses one alternative of a date parameter: `[prefix]date`. */
export function parseDateValue(text: string, parameter: string): QueryValue & { type: "date" } {
  const { prefix, rest } = splitPrefix(text);
  const range = parseSearchDate(rest);
  if (range === undefined) throw invalidValue(parameter, text, "expected a date such as 2024, 2024-05 or 2024-05-01T10:00:00Z, with an optional prefix such as ge");
  return { type: "date", prefix, start: range.start, end: range.end };
}
