/**
 * Conversion of UCUM quantities to base units with @lhncbc/ucum-lhc, so that `1500 mg` and
 * `1.5 g` index the same canonical value (R4 search.html#quantity).
 */
import ucum from "@lhncbc/ucum-lhc";
import type { PrecisionRange } from "./number.ts";

/** The system URI of UCUM units in a Quantity. */
export const UCUM_SYSTEM = "http://unitsofmeasure.org";

/** A quantity in UCUM base units, with the code of those units (`g`, `g.m-1.s-2`, `1` for none). */
export interface CanonicalQuantity extends PrecisionRange {
  code: string;
}

interface BaseUnit {
  code: string;
  /** Base units per unit, or undefined for special units (`Cel`) that convert with an offset. */
  factor: number | undefined;
}

/** Bound on the unit cache, whose keys come from stored resources. */
const MAX_CACHED_UNITS = 1_000;

/** Significant digits kept after a conversion, to drop the last-bit noise of the factors. */
const SIGNIFICANT_DIGITS = 15;

/**
 * Printable ASCII without spaces. ucum-lhc trims a code before reading it, so without this check
 * ` mg` would convert as `mg`.
 */
const UCUM_CODE = /^[!-~]+$/;

const utils = ucum.UcumLhcUtils.getInstance();
const baseUnits = new Map<string, BaseUnit | null>();

/**
 * Converts a quantity and its precision range to UCUM base units, or returns undefined when
 * `code` is not a UCUM unit that converts (arbitrary units such as `[iU]` do not). Special units
 * (`Cel`, `[degF]`) convert each bound on its own, so their offset is applied to all three.
 * Molar units are counts in UCUM: `mmol/L` becomes `m-3`, and `meq/L` converts to the same.
 */
export function toCanonicalQuantity(code: string, quantity: PrecisionRange): CanonicalQuantity | undefined {
  const unit = baseUnit(code);
  if (unit === undefined) return undefined;

  const { factor } = unit;
  const convert = factor === undefined ? (value: number) => utils.convertToBaseUnits(code, value).magnitude : (value: number) => value * factor;
  const value = convert(quantity.value);
  const low = convert(quantity.low);
  const high = convert(quantity.high);
  if (value === undefined || low === undefined || high === undefined) return undefined;
  return { value: round(value), low: round(low), high: round(high), code: unit.code };
}

/**
 * Looks up a unit's base units and factor, once per code.
 * NOTE: ucum-lhc writes a console line for a few malformed codes, such as `x{a}(m)`.
 */
function baseUnit(code: string): BaseUnit | undefined {
  const cached = baseUnits.get(code);
  if (cached !== undefined) return cached ?? undefined;

  let unit: BaseUnit | null = null;
  if (UCUM_CODE.test(code)) {
    const result = utils.convertToBaseUnits(code, 1);
    if (result.status === "succeeded" && result.magnitude !== undefined && result.unitToExp !== undefined) {
      unit = { code: formatBaseUnits(result.unitToExp), factor: result.fromUnitIsSpecial === true ? undefined : result.magnitude };
    }
  }
  if (baseUnits.size >= MAX_CACHED_UNITS) baseUnits.clear();
  baseUnits.set(code, unit);
  return unit ?? undefined;
}

/** Writes base units and exponents as a UCUM code in a fixed order: `{g: 1, m: -1, s: -2}` is `g.m-1.s-2`. */
function formatBaseUnits(unitToExp: Readonly<Record<string, number>>): string {
  const terms: string[] = [];
  for (const unit of Object.keys(unitToExp).sort()) {
    const exponent = unitToExp[unit];
    if (exponent === undefined || exponent === 0) continue;
    terms.push(exponent === 1 ? unit : `${unit}${exponent}`);
  }
  return terms.length === 0 ? "1" : terms.join(".");
}

function round(value: number): number {
  return Number(value.toPrecision(SIGNIFICANT_DIGITS));
}
