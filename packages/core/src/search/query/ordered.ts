/**
 * Comparison of ordered values, dates, numbers and quantities, by prefix (R4 search.html#prefix).
 * A date is a range on both sides. A number or quantity is a range only on the search side.
 */
import type { Prefix } from "../model.ts";

/** A half-open range `[low, high)`. */
export interface Range {
  low: number;
  high: number;
}

/** Share of the distance that `ap` allows: 10%, the value R4 recommends. */
const APPROXIMATION = 0.1;

/**
 * Tests a target date range against a search date range under a prefix, following the range
 * column of the R4 prefix table (search.html#prefix):
 *
 * - `eq`: the search range contains the whole target range, and `ne` is its negation.
 * - `gt`: the target reaches above the search range (`target.high > search.high`), and `lt`
 *   reaches below it (`target.low < search.low`). `ge` and `le` also accept `eq`.
 * - `sa`: the target starts at or after the end of the search range, and `eb` ends at or before
 *   its start.
 * - `ap`: the target overlaps `approximate`, the search range widened by approximateDateRange.
 *
 * So `gt2024` needs part of the target after 2024. A target with an open start, such as a
 * Timing bounded only by an end, is `lt` and `le` every date after that start.
 *
 * NOTE: R4 calls the range above a value "the specified value and up", which, read from the
 * start of a search range, would let `gt2024` match a date inside 2024. Flint measures from the
 * end of the search range, so `gt2024` means after 2024, as `lt2024` means before it.
 */
export function compareRanges(prefix: Prefix, search: Range, target: Range, approximate: Range): boolean {
  const contains = search.low <= target.low && target.high <= search.high;
  switch (prefix) {
    case "eq":
      return contains;
    case "ne":
      return !contains;
    case "gt":
      return target.high > search.high;
    case "lt":
      return target.low < search.low;
    case "ge":
      return target.high > search.high || contains;
    case "le":
      return target.low < search.low || contains;
    case "sa":
      return target.low >= search.high;
    case "eb":
      return target.high <= search.low;
    case "ap":
      return target.low < approximate.high && target.high > approximate.low;
  }
}

/**
 * Tests a stored number against a search number under a prefix (search.html#number). The stored
 * number counts as exact, and only `eq`, `ne` and `ap` use the search value's implicit range:
 *
 * - `eq`: the stored number lies in the search range, so `100` matches 99.5 up to but not
 *   including 100.5. `ne` is its negation.
 * - `gt`, `lt`, `ge`, `le`, `sa`, `eb`: compare with the search value exactly, because R4 ignores
 *   the implicit precision for these prefixes. So `gt100` matches 100.3, and `sa` and `eb` act as
 *   `gt` and `lt` on a single number.
 * - `ap`: the stored number lies in `approximate`, from approximateNumberRange.
 *
 * NOTE: the stored number's own precision range (IndexValue `low`/`high`) is not used, because
 * JSON.parse drops trailing zeros (`120.0` becomes 120), so a range computed from a parsed
 * resource can be wider than the one the resource states.
 */
export function compareNumber(prefix: Prefix, search: { value: number } & Range, stored: number, approximate: Range): boolean {
  const within = search.low <= stored && stored < search.high;
  switch (prefix) {
    case "eq":
      return within;
    case "ne":
      return !within;
    case "gt":
      return stored > search.value;
    case "lt":
      return stored < search.value;
    case "ge":
      return stored >= search.value;
    case "le":
      return stored <= search.value;
    case "sa":
      return stored > search.value;
    case "eb":
      return stored < search.value;
    case "ap":
      return approximate.low <= stored && stored < approximate.high;
  }
}

/**
 * Widens a number or quantity search range for `ap` by 10% of the value's magnitude on each side.
 * A value of 0 keeps its precision range.
 */
export function approximateNumberRange(value: number, range: Range): Range {
  const margin = Math.abs(value) * APPROXIMATION;
  return { low: Math.min(range.low, value - margin), high: Math.max(range.high, value + margin) };
}

/**
 * Widens a date search range for `ap` by 10% of the gap between `now` and the range on each
 * side, as R4 recommends. When `now` falls inside the range, the gap is zero and `ap` is a plain
 * overlap test.
 */
export function approximateDateRange(range: Range, now: number): Range {
  let gap = 0;
  if (now < range.low) gap = range.low - now;
  else if (now >= range.high) gap = now - range.high;
  const margin = gap * APPROXIMATION;
  return { low: range.low - margin, high: range.high + margin };
}

/** Inclusive bounds on a stored number; an absent bound is open. */
export interface NumberBounds {
  low?: number;
  high?: number;
}

/**
 * Returns the bounds that contain every stored number compareNumber accepts under a prefix, so
 * that an index can read them as one range. `ne` has no such range and returns null.
 */
export function numberBounds(prefix: Prefix, search: { value: number } & Range): NumberBounds | null {
  switch (prefix) {
    case "eq":
      return { low: search.low, high: search.high };
    case "gt":
    case "ge":
    case "sa":
      return { low: search.value };
    case "lt":
    case "le":
    case "eb":
      return { high: search.value };
    case "ap": {
      const approximate = approximateNumberRange(search.value, search);
      return { low: approximate.low, high: approximate.high };
    }
    case "ne":
      return null;
  }
}
