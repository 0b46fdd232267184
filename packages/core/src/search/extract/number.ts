/** Values of `number` search parameters (R4 search.html#number). */
import type { IndexValue } from "../model.ts";
import type { FhirValue } from "./evaluate.ts";

/** A value and the half-open range `[low, high)` that its written precision implies. */
export interface PrecisionRange {
  value: number;
  low: number;
  high: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Appends an integer or decimal value with its precision range. Other types (a `Range` in
 * `RiskAssessment.prediction.probability[x]`) add nothing.
 */
export function extractNumbers(item: FhirValue, values: IndexValue[]): void {
  if (typeof item.value !== "number" || !Number.isFinite(item.value)) return;
  values.push({ type: "number", ...numberRange(item.value) });
}

/**
 * Returns a JSON number with its precision range, half a unit of its last digit either side:
 * 100 gives [99.5, 100.5) and 1.5 gives [1.45, 1.55).
 * NOTE: the digits are those of the number as JavaScript prints it, because JSON.parse drops
 * trailing zeros: a stored `1.50` gives [1.45, 1.55), not [1.495, 1.505).
 */
export function numberRange(value: number): PrecisionRange {
  const range = decimalRange(String(value));
  if (range === undefined) throw new Error(`Invalid number ${value}: expected a finite number.`);
  return range;
}

/**
 * Returns the value of a decimal text and its precision range, or undefined when the text is
 * not a decimal. The bounds are computed on the digits and parsed once, so they are the doubles
 * nearest to the exact bounds (`1.45`, not `1.4500000000000002`).
 */
export function decimalRange(text: string): PrecisionRange | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, sign = "", integer = "", fraction = "", exponent = "0"] = match;

  // The text is digits × 10^scale; the bounds are (digits × 10 ∓ 5) × 10^(scale − 1).
  const digits = BigInt(`${sign}${integer}${fraction}`);
  const scale = Number(exponent) - fraction.length - 1;
  return {
    value: Number(text),
    low: Number(`${digits * 10n - 5n}e${scale}`),
    high: Number(`${digits * 10n + 5n}e${scale}`),
  };
}
