/**
 * Conversion of UCUM quantities to base units, so that `1500 mg` and `1.5 g` index the same
 * canonical value (R4 search.html#quantity). Unit codes are parsed with the grammar of the UCUM
 * specification (https://ucum.org/ucum, section 2 and its BNF), and atoms and prefixes come from
 * the table in `generated/ucum.ts`.
 */
import { UCUM_ARBITRARY_ATOMS, UCUM_ATOMS, UCUM_BASE_UNITS, UCUM_PREFIXES, type UcumAtom } from "../../generated/ucum.ts";
import type { PrecisionRange } from "./number.ts";

/** The system URI of UCUM units in a Quantity. */
export const UCUM_SYSTEM = "http://unitsofmeasure.org";

/** A quantity in UCUM base units, with the code of those units (`g`, `g.m-1.s-2`, `1` for none). */
export interface CanonicalQuantity extends PrecisionRange {
  code: string;
}

/**
 * A parsed unit: `magnitude` base units with the exponents of `UCUM_BASE_UNITS`. A special unit
 * (`Cel`, `[pH]`) is not on a ratio scale, so a value `x` in it is `magnitude * convert(x * factor)`
 * base units. Its `factor` is the product of its prefix and the numbers it was multiplied by.
 */
interface Unit {
  magnitude: number;
  exponents: number[];
  special?: { convert: (value: number) => number; factor: number };
}

interface BaseUnit {
  code: string;
  /** Converts a value in the unit to base units. */
  convert: (value: number) => number;
}

/** Bound on the unit cache, whose keys come from stored resources. */
const MAX_CACHED_UNITS = 1_000;

/** Significant digits kept after a conversion, to drop the last-bit noise of the factors. */
const SIGNIFICANT_DIGITS = 15;

/**
 * Printable ASCII without spaces (UCUM 2.1.1 "Character set"), so ` mg` does not convert as `mg`.
 */
const UCUM_CODE = /^[!-~]+$/;

/**
 * The inverse functions of special units (UCUM §21 "special units"), by the name in the
 * generated table. Each maps a value in the unit, times the factor of its prefix, to a value
 * that the unit's magnitude turns into base units.
 * NOTE: `tanTimes100` (`[p'diop]`) and the homeopathic potencies `hpX`, `hpC`, `hpM` and `hpQ`
 * are left out, so those units do not convert. ucum-lhc 7.1.10 fails on them as well.
 */
const SPECIAL_FUNCTIONS: Readonly<Record<string, (value: number) => number>> = {
  Cel: (value) => value + 273.15,
  degF: (value) => value + 459.67,
  // The magnitude of [degRe] is 1.25 K, so 273.15 K is 218.52 of it.
  degRe: (value) => value + 218.52,
  pH: (value) => 10 ** -value,
  ln: (value) => Math.exp(value),
  lg: (value) => 10 ** value,
  lgTimes2: (value) => 10 ** (value / 2),
  ld: (value) => 2 ** value,
  sqrt: (value) => value * value,
  // The magnitude of %[slope] is one degree, and the angle of a slope is atan(value / 100) radians.
  "100tan": (value) => (Math.atan(value / 100) * 180) / Math.PI,
};

const ARBITRARY_ATOMS = new Set(UCUM_ARBITRARY_ATOMS);
const PREFIXES_LONGEST_FIRST = Object.keys(UCUM_PREFIXES).sort((a, b) => b.length - a.length);
const baseUnits = new Map<string, BaseUnit | null>();

/**
 * Converts a quantity and its precision range to UCUM base units, as a magnitude and exponents of
 * the base units (UCUM §20), or returns undefined when `code` is not a UCUM unit that converts.
 * Arbitrary units such as `[iU]` do not convert, and neither does a special unit (`Cel`, `[degF]`)
 * that is divided, raised to a power or multiplied by a unit with a dimension, nor a result that
 * is not finite. A special unit converts each bound on its own, so its offset applies to all
 * three. Molar units are counts in UCUM: `mmol/L` becomes `m-3`, and `meq/L` converts to the same.
 */
export function toCanonicalQuantity(code: string, quantity: PrecisionRange): CanonicalQuantity | undefined {
  const unit = lookUpBaseUnit(code);
  if (unit === undefined) return undefined;

  const value = unit.convert(quantity.value);
  const low = unit.convert(quantity.low);
  const high = unit.convert(quantity.high);
  if (!Number.isFinite(value) || !Number.isFinite(low) || !Number.isFinite(high)) return undefined;
  return { value: round(value), low: round(low), high: round(high), code: unit.code };
}

/** Parses a unit code into its base units and conversion, once per code. */
function lookUpBaseUnit(code: string): BaseUnit | undefined {
  const cached = baseUnits.get(code);
  if (cached !== undefined) return cached ?? undefined;

  const unit = UCUM_CODE.test(code) ? parseUnitCode(code) : undefined;
  const baseUnit = unit === undefined ? null : { code: formatBaseUnits(unit.exponents), convert: converter(unit) };
  if (baseUnits.size >= MAX_CACHED_UNITS) baseUnits.clear();
  baseUnits.set(code, baseUnit);
  return baseUnit ?? undefined;
}

function converter(unit: Unit): (value: number) => number {
  const { magnitude, special } = unit;
  if (special === undefined) return (value) => value * magnitude;
  return (value) => magnitude * special.convert(value * special.factor);
}

/**
 * Parses a case-sensitive UCUM unit code (UCUM §6–§10 and the BNF of section 2.2). Components are
 * joined by `.` and `/` from left to right, after an optional leading `/`. A component is an atom
 * with an optional prefix and exponent (`cm2`, `s-1`, `10*3`), a positive integer (`24`), a
 * parenthesized term, or an annotation (`{score}`), which counts as 1. Returns undefined when the
 * code is invalid, or contains an arbitrary unit or a special unit that cannot convert in its place.
 */
function parseUnitCode(code: string): Unit | undefined {
  const parser = new UnitCodeParser(code);
  const unit = parser.parseMainTerm();
  if (unit === undefined || !Number.isFinite(unit.magnitude) || unit.magnitude === 0) return undefined;
  return unit;
}

/** A recursive-descent parser over one code, which returns undefined at the first error. */
class UnitCodeParser {
  private position = 0;

  constructor(private readonly code: string) {}

  /**
   * Parses the whole code: `"/" term | term`. A leading `/` inverts only the component after it
   * (UCUM §7), so `/s.m` is `m/s`.
   */
  parseMainTerm(): Unit | undefined {
    const unit = this.code.startsWith("/") ? this.parseOperations(dimensionless(1)) : this.parseTerm();
    return this.position === this.code.length ? unit : undefined;
  }

  /** Parses components joined by `.` and `/`. */
  private parseTerm(): Unit | undefined {
    const first = this.parseComponent();
    return first === undefined ? undefined : this.parseOperations(first);
  }

  /** Applies each `.` or `/` and the component after it to `unit`, from left to right. */
  private parseOperations(unit: Unit): Unit | undefined {
    let result: Unit | undefined = unit;
    while (result !== undefined && (this.peek() === "." || this.peek() === "/")) {
      const operator = this.peek();
      this.position += 1;
      const next = this.parseComponent();
      if (next === undefined) return undefined;
      result = operator === "." ? multiply(result, next) : divide(result, next);
    }
    return result;
  }

  /**
   * Parses `(term)`, an annotation alone, or a number or simple unit with an optional exponent,
   * each followed by at most one annotation. An exponent after `)` is invalid, because UCUM 1.9
   * dropped it (§10). An annotation ends a symbol (§6), so `{a}mg` and `m{a}2` are invalid.
   */
  private parseComponent(): Unit | undefined {
    let unit: Unit | undefined;
    if (this.peek() === "(") {
      this.position += 1;
      unit = this.parseTerm();
      if (unit === undefined || this.peek() !== ")") return undefined;
      this.position += 1;
    } else if (this.peek() === "{") {
      unit = dimensionless(1);
    } else {
      unit = this.parseSymbol();
    }
    if (unit !== undefined && this.peek() === "{" && !this.skipAnnotation()) return undefined;
    return unit;
  }

  /** Reads the characters up to the next operator, parenthesis or brace, and parses them. */
  private parseSymbol(): Unit | undefined {
    const start = this.position;
    while (this.position < this.code.length && !"./(){}".includes(this.code.charAt(this.position))) {
      if (this.code.charAt(this.position) === "[") {
        // Square brackets belong to the atom (`[in_i]`, `B[10.nV]`), operators inside them included.
        const close = this.code.indexOf("]", this.position);
        if (close < 0) return undefined;
        this.position = close + 1;
      } else {
        this.position += 1;
      }
    }
    return parseSimpleUnit(this.code.slice(start, this.position));
  }

  /** Moves past one `{...}` annotation, or returns false when it has no closing brace. */
  private skipAnnotation(): boolean {
    const close = this.code.indexOf("}", this.position);
    if (close < 0 || this.code.slice(this.position + 1, close).includes("{")) return false;
    this.position = close + 1;
    return true;
  }

  private peek(): string {
    return this.code.charAt(this.position);
  }
}

/**
 * Parses a positive integer (`24`, or `2+10` for 2 to the power 10, UCUM §8 and §9) or a simple
 * unit with an optional exponent (`mg`, `cm2`, `s-1`, `10*3`). The exponent is the trailing
 * integer, because no atom ends with a digit outside square brackets, which the generator checks.
 */
function parseSimpleUnit(text: string): Unit | undefined {
  const number = /^(\d+)([+-]\d+)?$/.exec(text);
  if (number !== null) {
    const [, digits = "", exponent] = number;
    const factor = Number(digits);
    if (factor === 0) return undefined;
    return exponent === undefined ? dimensionless(factor) : dimensionless(factor ** Number(exponent));
  }

  const match = /^(.+?)([+-]?\d+)?$/.exec(text);
  if (match === null) return undefined;
  const [, symbol = "", exponent] = match;
  const unit = resolveSymbol(symbol);
  if (unit === undefined || exponent === undefined) return unit;
  return power(unit, Number(exponent));
}

/**
 * Splits a symbol into the longest prefix whose remainder is a metric atom (`mg`, `dam`), or else
 * looks it up as an atom (UCUM 2.1.2 "Prefixes"). Only metric atoms take a prefix (§11), so `cd`
 * is candela and `Pa` pascal, not centi-day and peta-year. Returns undefined for unknown symbols
 * and arbitrary units.
 */
function resolveSymbol(symbol: string): Unit | undefined {
  for (const prefix of PREFIXES_LONGEST_FIRST) {
    if (!symbol.startsWith(prefix) || symbol.length === prefix.length) continue;
    const remainder = symbol.slice(prefix.length);
    if (ARBITRARY_ATOMS.has(remainder)) return undefined;
    const atom = lookUpAtom(remainder);
    if (atom !== undefined && atom[2] === 1) return atomUnit(atom, UCUM_PREFIXES[prefix] ?? 1);
  }

  if (ARBITRARY_ATOMS.has(symbol)) return undefined;
  const atom = lookUpAtom(symbol);
  return atom === undefined ? undefined : atomUnit(atom, 1);
}

function lookUpAtom(symbol: string): UcumAtom | undefined {
  return Object.hasOwn(UCUM_ATOMS, symbol) ? UCUM_ATOMS[symbol] : undefined;
}

/** Builds the unit of an atom with its prefix factor, or undefined when its special function is not implemented. */
function atomUnit(atom: UcumAtom, prefixFactor: number): Unit | undefined {
  const [magnitude, atomExponents] = atom;
  const exponents = UCUM_BASE_UNITS.map((_, index) => atomExponents[index] ?? 0);
  if (atom.length === 3) return { magnitude: magnitude * prefixFactor, exponents };

  const [, , , functionName, factor] = atom;
  const convert = Object.hasOwn(SPECIAL_FUNCTIONS, functionName) ? SPECIAL_FUNCTIONS[functionName] : undefined;
  if (convert === undefined) return undefined;
  return { magnitude, exponents, special: { convert, factor: factor * prefixFactor } };
}

function dimensionless(magnitude: number): Unit {
  return { magnitude, exponents: UCUM_BASE_UNITS.map(() => 0) };
}

function isDimensionless(unit: Unit): boolean {
  return unit.special === undefined && unit.exponents.every((exponent) => exponent === 0);
}

/**
 * Multiplies two units. A special unit can only be multiplied by a dimensionless ratio unit
 * (`2.Cel`, `Cel{a}`), whose magnitude then scales the value before the conversion (UCUM §22).
 */
function multiply(left: Unit, right: Unit): Unit | undefined {
  if (left.special !== undefined) return isDimensionless(right) ? scaleSpecial(left, right.magnitude) : undefined;
  if (right.special !== undefined) return isDimensionless(left) ? scaleSpecial(right, left.magnitude) : undefined;
  return {
    magnitude: left.magnitude * right.magnitude,
    exponents: left.exponents.map((exponent, index) => exponent + (right.exponents[index] ?? 0)),
  };
}

function scaleSpecial(unit: Unit, scale: number): Unit | undefined {
  if (unit.special === undefined) return undefined;
  return { ...unit, special: { ...unit.special, factor: unit.special.factor * scale } };
}

/** Divides two ratio units. A special unit cannot be divided or be a divisor. */
function divide(left: Unit, right: Unit): Unit | undefined {
  if (left.special !== undefined || right.special !== undefined) return undefined;
  return {
    magnitude: left.magnitude / right.magnitude,
    exponents: left.exponents.map((exponent, index) => exponent - (right.exponents[index] ?? 0)),
  };
}

/** Raises a ratio unit to an integer power. A special unit takes no exponent, not even 1. */
function power(unit: Unit, exponent: number): Unit | undefined {
  if (unit.special !== undefined) return undefined;
  return { magnitude: unit.magnitude ** exponent, exponents: unit.exponents.map((value) => value * exponent) };
}

/** Writes base-unit exponents as a UCUM code, base units sorted by code: `g.m-1.s-2`, or `1` for none. */
function formatBaseUnits(exponents: readonly number[]): string {
  const terms: string[] = [];
  const order = UCUM_BASE_UNITS.map((unit, index) => ({ unit, exponent: exponents[index] ?? 0 })).sort((a, b) => (a.unit < b.unit ? -1 : 1));
  for (const { unit, exponent } of order) {
    if (exponent === 0) continue;
    terms.push(exponent === 1 ? unit : `${unit}${exponent}`);
  }
  return terms.length === 0 ? "1" : terms.join(".");
}

function round(value: number): number {
  return Number(value.toPrecision(SIGNIFICANT_DIGITS));
}
