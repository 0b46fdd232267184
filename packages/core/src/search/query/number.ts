/**
 * Number search values (R4 search.html#number). A number stands for the range of values that
 * round to it at its written precision: half a unit of the last significant digit on each side.
 */
import type { QueryValue } from "../model.ts";
import { invalidValue } from "./errors.ts";
import { splitPrefix } from "./prefix.ts";

/** A decimal with the half-open range `[low, high)` that its written precision implies. */
export interface DecimalRange {
  value: number;
  low: number;
  high: number;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal, optionally in exponent form, with its implicit range, or returns `undefined`.
 * Trailing zeros count: `100` is [99.5, 100.5) and `100.00` is [99.995, 100.005). In exponent
 * form the mantissa's digits set the precision, so `1e2` has one significant figure and covers
 * [50, 150), and `1.0e2` covers [95, 105).
 *
 * Hint: the R4 page gives [95, 105) for `1e2` while calling it one significant figure. Flint
 * follows the significant-figure rule, and `1.0e2` gives the narrower range.
 */
export function parseDecimalRange(text: string): DecimalRange | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = match;

  // The value is digits × 10^scale. The bounds are (digits × 10 ∓ 5) × 10^(scale − 1), written as
  // decimal text so that Number() rounds each bound once instead of accumulating float errors.
  const digits = BigInt(`${sign}${whole}${fraction}`);
  const scale = Number(exponentText) - fraction.length;
  const value = Number(text);
  const low = Number(`${digits * 10n - 5n}e${scale - 1}`);
  const high = Number(`${digits * 10n + 5n}e${scale - 1}`);
  if (![value, low, high].every(Number.isFinite)) return undefined;
  return { value, low, high };
}

/** Parses one alternative of a number parameter: `[prefix]decimal`. */
export function parseNumberValue(text: string, parameter: string): QueryValue & { type: "number" } {
  const { prefix, rest } = splitPrefix(text);
  const range = parseDecimalRange(rest);
  if (range === undefined) throw invalidValue(parameter, text, "expected a number such as 100, 1.5 or 2e3, with an optional prefix such as gt");
  return { type: "number", prefix, ...range };
}
