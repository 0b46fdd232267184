/**
 * Compares the UCUM converter in `ucum.ts` with @lhncbc/ucum-lhc 7.1.10, which Flint used before
 * and which stays a devDependency for the generator. The reference below is the conversion that
 * `ucum.ts` did with ucum-lhc: a factor from `convertToBaseUnits(code, 1)` for ratio units, and
 * one `convertToBaseUnits` call per bound for special units.
 *
 * The codes come from every Quantity-like element with the UCUM system in the fixtures
 * (`$FLINT_FIXTURES`, a path relative to the repository root), from every atom of the generated
 * table alone and with each prefix, and from a hand-written list. The fixture codes are skipped
 * when their folders do not exist.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ucum from "@lhncbc/ucum-lhc";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UCUM_ARBITRARY_ATOMS, UCUM_ATOMS, UCUM_PREFIXES } from "../../generated/ucum.ts";
import { numberRange, type PrecisionRange } from "./number.ts";
import { toCanonicalQuantity, UCUM_SYSTEM, type CanonicalQuantity } from "./ucum.ts";

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../..");
const fixturesRoot = path.resolve(repositoryRoot, process.env.FLINT_FIXTURES ?? "../shared/fixtures");
const fixtureFolders = [
  path.join(fixturesRoot, "fhir-r4-spec-examples", "examples"),
  path.join(fixturesRoot, "synthea-r4-blaze", "patients"),
  path.join(fixturesRoot, "us-core-examples", "examples"),
];
const presentFolders = fixtureFolders.filter((folder) => existsSync(folder));
for (const folder of fixtureFolders) {
  if (!presentFolders.includes(folder)) console.warn(`Skipping the UCUM codes of ${folder}: it does not exist. Set FLINT_FIXTURES to the fixtures folder.`);
}

/**
 * Significant digits to which the two converters must agree. Two numbers agree when they differ
 * by at most one unit of the twelfth digit, relative to the larger: comparing the rounded digits
 * would fail on values that straddle a rounding boundary (`…1650005` and `…1649999`).
 */
const COMPARED_DIGITS = 12;

/** Values whose precision ranges are converted, so that offsets and functions show. */
const QUANTITIES: PrecisionRange[] = [numberRange(1), numberRange(37.2), numberRange(0.025)];

const HAND_WRITTEN_CODES = [
  "mg/dL",
  "mmol/L",
  "kg/m2",
  "10*3/uL",
  "10^3",
  "/min",
  "mL/min/{1.73_m2}",
  "%",
  "[lb_av]",
  "[in_i]",
  "Cel",
  "[degF]",
  "[degRe]",
  "mCel",
  "2.Cel",
  "Cel.2",
  "Cel{a}",
  "{a}.Cel",
  "(Cel)",
  "Cel.%",
  "Cel.mol",
  "Cel2",
  "Cel1",
  "Cel/s",
  "/Cel",
  "Cel.m",
  "m.Cel",
  "Cel.Cel",
  "Cel.[iU]",
  "cm[H2O]",
  "mm[Hg]",
  "mmHg",
  "[iU]/L",
  "[IU]",
  "k[IU]/L",
  "{score}",
  "{}",
  "1",
  "g.m-1.s-2",
  "ug/(24.h)",
  "(m.s)/(kg)",
  "m/s.s",
  "m/s/s",
  "kg.m/s2",
  "m+2",
  "m0",
  "m-0",
  "m01",
  "mm2.s-1",
  "10*-3",
  "10*+3",
  "2.5",
  "24.h",
  "1/m",
  "/{a}",
  "g/{a}",
  "2{a}",
  "(m){a}",
  "({a})",
  "((m))",
  "m.(s)",
  "/s.m",
  "/(m.s)",
  "(/s)",
  "/{a}.10^",
  "Cel.(2)",
  "(Cel).2",
  "10*3{cells}/uL",
  "{a)b}",
  "{a{b}}",
  "IU/L",
  "cells/uL",
  "cd",
  "Pa",
  "ph",
  "mo",
  "ms",
  "dar",
  "dam",
  "MG",
  "kat",
  "meq/L",
  "mol2",
  "[pi]",
  "[ppm]",
  "[pH]",
  "[pH].2",
  "B",
  "dB",
  "Np",
  "B[V]",
  "mB[V]",
  "B[10.nV]",
  "B[SPL]",
  "bit_s",
  "[m/s2/Hz^(1/2)]",
  "[p'diop]",
  "[hp'_X]",
  "%[slope]2",
  "[ft_us]/[ft_us]",
  "mg/",
  "x{a}(m)",
  " mg",
  "mg ",
  "",
  "m//s",
  "m./s",
  "m..s",
  ".m",
  "/",
  "()",
  "(m)2",
  "(m)-1",
  "m(2)",
  "2(m)",
  "(m)(s)",
  "m/(s",
  "m)",
  "5m",
  "m2-",
  "m--2",
  "m2+",
  "{a}mg",
  "m{a}2",
  "mg{a}{b}",
  "{a}{b}",
  "{1.73 m2}",
  "m{a",
  "m}",
  "{",
  "}",
  "[",
  "]",
  "m[",
  "[ft_i",
  "g.",
  ".",
  "k",
  "kk",
  "(kg)2",
  "2+3",
  "2-3",
  "2+10",
  "constructor",
  "__proto__",
  "toString",
  "mµg",
];

/**
 * Codes on which the converters differ on purpose, with the base code and the value of 1 unit
 * that `ucum.ts` gives, or undefined where it does not convert.
 */
const KNOWN_DIFFERENCES: Record<string, { reason: string; code?: string; valueOfOne?: number }> = {
  "[diop]": { reason: "UCUM defines it as /m; ucum-lhc converts 1 [diop] to 1 m", code: "m-1", valueOfOne: 1 },
  "[mesh_i]": { reason: "UCUM defines it as /[in_i]; ucum-lhc converts it to m", code: "m-1", valueOfOne: 1 / 0.0254 },
  Bd: { reason: "UCUM defines it as /s; ucum-lhc converts it to s", code: "s-1", valueOfOne: 1 },
  "[degRe]": { reason: "ucum-lhc adds 273.15 before scaling by 1.25 instead of after", code: "K", valueOfOne: 274.4 },
  "%[slope]": { reason: "ucum-lhc reads the angle atan(x/100), in radians, as degrees", code: "rad", valueOfOne: Math.atan(0.01) },
  "0": { reason: "UCUM allows positive integers only; ucum-lhc reads 0 as 1" },
  "10+3": { reason: "UCUM reads it as 10 to the power 3; ucum-lhc rejects a number of two digits or more with an exponent", code: "1", valueOfOne: 1000 },
  "10-3": { reason: "UCUM reads it as 10 to the power -3; ucum-lhc rejects a number of two digits or more with an exponent", code: "1", valueOfOne: 0.001 },
  "24+1": { reason: "UCUM reads it as 24; ucum-lhc rejects a number of two digits or more with an exponent", code: "1", valueOfOne: 24 },
  ha: { reason: "a (year) is not metric, so it takes no prefix; ucum-lhc reads it as 100 years" },
  "k10*3": { reason: "10* is not metric, so it takes no prefix; ucum-lhc reads it as (1000 × 10)^3" },
  "k[in_i]": { reason: "[in_i] is not metric, so it takes no prefix; ucum-lhc reads it as 1000 inches" },
  "m%": { reason: "% is not metric, so it takes no prefix; ucum-lhc reads it as 0.001 %" },
};
for (const prefix of Object.keys(UCUM_PREFIXES)) {
  const factor = UCUM_PREFIXES[prefix] ?? 1;
  KNOWN_DIFFERENCES[`${prefix}Bd`] = { reason: "UCUM defines Bd as /s; ucum-lhc converts it to s", code: "s-1", valueOfOne: factor };
}

const ucumUtils = ucum.UcumLhcUtils.getInstance();

/**
 * Converts as `ucum.ts` did with ucum-lhc, except that a result that is not finite (`kNp`, e to
 * the power 1000) counts as not converting, as it does in `ucum.ts` now.
 */
function referenceConversion(code: string, quantity: PrecisionRange): CanonicalQuantity | undefined {
  if (!/^[!-~]+$/.test(code)) return undefined;
  const result = ucumUtils.convertToBaseUnits(code, 1);
  if (result.status !== "succeeded" || result.magnitude === undefined || result.unitToExp === undefined) return undefined;

  const factor = result.magnitude;
  const convert =
    result.fromUnitIsSpecial === true ? (value: number) => ucumUtils.convertToBaseUnits(code, value).magnitude : (value: number) => value * factor;
  const value = convert(quantity.value);
  const low = convert(quantity.low);
  const high = convert(quantity.high);
  if (value === undefined || low === undefined || high === undefined) return undefined;
  if (!Number.isFinite(value) || !Number.isFinite(low) || !Number.isFinite(high)) return undefined;
  return { value, low, high, code: formatReferenceUnits(result.unitToExp) };
}

function formatReferenceUnits(unitToExp: Readonly<Record<string, number>>): string {
  const terms = Object.keys(unitToExp)
    .sort()
    .filter((unit) => unitToExp[unit] !== 0)
    .map((unit) => (unitToExp[unit] === 1 ? unit : `${unit}${unitToExp[unit]}`));
  return terms.length === 0 ? "1" : terms.join(".");
}

function sameNumber(a: number, b: number): boolean {
  return Math.abs(a - b) <= 10 ** -COMPARED_DIGITS * Math.max(Math.abs(a), Math.abs(b));
}

function describeConversion(result: CanonicalQuantity | undefined): string {
  return result === undefined ? "does not convert" : `${result.value} ${result.code} [${result.low}, ${result.high})`;
}

/** Returns a line for each quantity on which the two converters disagree. */
function compare(code: string): string[] {
  const differences: string[] = [];
  for (const quantity of QUANTITIES) {
    const expected = referenceConversion(code, quantity);
    const actual = toCanonicalQuantity(code, quantity);
    const same =
      expected === undefined || actual === undefined
        ? expected === actual
        : expected.code === actual.code && sameNumber(expected.value, actual.value) && sameNumber(expected.low, actual.low) && sameNumber(expected.high, actual.high);
    if (!same) differences.push(`${JSON.stringify(code)} at ${quantity.value}: ucum-lhc ${describeConversion(expected)}, ucum.ts ${describeConversion(actual)}`);
  }
  return differences;
}

/** Collects the `code` of every object whose `system` is UCUM, anywhere in a JSON value. */
function collectUcumCodes(value: unknown, codes: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectUcumCodes(item, codes);
    return;
  }
  if (typeof value !== "object" || value === null) return;
  const record = value as Record<string, unknown>;
  if (record.system === UCUM_SYSTEM && typeof record.code === "string") codes.add(record.code);
  for (const child of Object.values(record)) collectUcumCodes(child, codes);
}

function fixtureCodes(): Set<string> {
  const codes = new Set<string>();
  for (const folder of presentFolders) {
    for (const file of readdirSync(folder).filter((name) => name.endsWith(".json"))) {
      collectUcumCodes(JSON.parse(readFileSync(path.join(folder, file), "utf8")), codes);
    }
  }
  return codes;
}

function atomCodes(): string[] {
  const codes = [...Object.keys(UCUM_ATOMS), ...UCUM_ARBITRARY_ATOMS];
  for (const [atom, entry] of Object.entries(UCUM_ATOMS)) {
    if (entry[2] === 1) codes.push(...Object.keys(UCUM_PREFIXES).map((prefix) => prefix + atom));
  }
  return codes;
}

/** Runs the comparison on a list of codes and keeps the differences that are not known. */
function unexplainedDifferences(codes: Iterable<string>): string[] {
  return [...codes].filter((code) => KNOWN_DIFFERENCES[code] === undefined).flatMap(compare);
}

describe("UCUM converter against ucum-lhc", () => {
  // ucum-lhc writes a console line for a few malformed codes, such as `x{a}(m)`.
  beforeAll(() => {
    vi.spyOn(console, "log").mockImplementation(() => undefined);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });

  it.runIf(presentFolders.length > 0)("fixture codes agree", () => {
    const codes = fixtureCodes();
    console.info(`Compared ${codes.size} distinct UCUM codes from ${presentFolders.length} fixture folders.`);

    expect(codes.size).toBeGreaterThan(50);
    expect(unexplainedDifferences(codes)).toEqual([]);
  });

  it("atoms and prefixed atoms agree", () => {
    const codes = atomCodes();
    console.info(`Compared ${codes.length} atoms and prefixed metric atoms.`);

    expect(codes.length).toBeGreaterThan(2_000);
    expect(unexplainedDifferences(codes)).toEqual([]);
  });

  it("hand-written codes agree", () => {
    console.info(`Compared ${HAND_WRITTEN_CODES.length} hand-written codes.`);
    expect(unexplainedDifferences(HAND_WRITTEN_CODES)).toEqual([]);
  });

  it("known differences follow UCUM", () => {
    for (const [code, difference] of Object.entries(KNOWN_DIFFERENCES)) {
      const actual = toCanonicalQuantity(code, { value: 1, low: 1, high: 1 });
      const reference = referenceConversion(code, { value: 1, low: 1, high: 1 });

      expect(describeConversion(actual), `${code}: ${difference.reason}`).not.toBe(describeConversion(reference));
      expect(actual?.code, code).toBe(difference.code);
      if (difference.valueOfOne !== undefined) expect(sameNumber(actual?.value ?? Number.NaN, difference.valueOfOne), `${code}: ${actual?.value}`).toBe(true);
    }
  });
});
