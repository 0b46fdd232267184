/**
 * Generates `packages/core/src/generated/ucum.ts` from the UCUM prefix and unit tables that
 * `@lhncbc/ucum-lhc` ships in `data/ucumDefs.min.json`. ucum-lhc is needed only here, at build
 * time: the search code converts units with the generated table and its own parser
 * (`src/search/extract/ucum.ts`).
 *
 * Run with `npx tsx packages/core/scripts/generate-ucum.ts` (or `npm run generate`). The output
 * keeps, for each prefix, its factor, and for each unit atom, its magnitude in base units, its
 * base-unit exponents, whether it takes prefixes, and the conversion function of a special unit.
 * Names, synonyms, print symbols and guidance are left out. The rows that ucum-lhc adds from
 * LOINC (`mg/dL`, `10*3/uL`, `mL`, `u[IU]`) are left out too: they are expressions or prefixed
 * atoms, which the parser computes from the UCUM atoms.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One of ucum-lhc's packed tables: column names in `config`, one array per row in `data`. */
interface PackedTable {
  config: (string | string[])[];
  data: unknown[][];
}

interface UnitRow {
  code: string;
  /** `UCUM` for the atoms of the UCUM definitions, `LOINC` for the rows ucum-lhc adds. */
  source: string;
  isBase: boolean;
  magnitude: number;
  exponents: number[];
  isMetric: boolean;
  conversion: string | null;
  conversionFactor: number;
  isSpecial: boolean;
  isArbitrary: boolean;
}

/** ucum-lhc's name of the function of units defined as a reciprocal (`[diop]` is `/m`). */
const RECIPROCAL_FUNCTION = "inv";

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const outputFile = path.resolve(scriptDir, "../src/generated/ucum.ts");
const require = createRequire(import.meta.url);
const packageJsonFile = require.resolve("@lhncbc/ucum-lhc/package.json");
const packageDir = path.dirname(packageJsonFile);
const packageVersion = (JSON.parse(readFileSync(packageJsonFile, "utf8")) as { version: string }).version;
const definitions = JSON.parse(readFileSync(path.join(packageDir, "data/ucumDefs.min.json"), "utf8")) as {
  prefixes: PackedTable;
  units: PackedTable;
};

/** Reads the rows of a packed table as objects keyed by the first part of each column name. */
function unpack(table: PackedTable): Record<string, unknown>[] {
  const columns = table.config.map((column) => (Array.isArray(column) ? column.join(".") : column));
  return table.data.map((row) => Object.fromEntries(columns.map((column, index) => [column, row[index]])));
}

function readUnit(row: Record<string, unknown>): UnitRow {
  const exponents = row["dim_.dimVec_"];
  if (!Array.isArray(exponents) || !exponents.every(Number.isInteger)) {
    throw new Error(`Unit ${String(row.csCode_)} has no integer base-unit exponents in ucumDefs.min.json.`);
  }
  return {
    code: String(row.csCode_),
    source: String(row.source_),
    isBase: row.isBase_ === true,
    magnitude: Number(row.magnitude_),
    exponents: exponents as number[],
    isMetric: row.isMetric_ === true,
    conversion: typeof row.cnv_ === "string" ? row.cnv_ : null,
    conversionFactor: Number(row.cnvPfx_ ?? 1),
    isSpecial: row.isSpecial_ === true,
    isArbitrary: row.isArbitrary_ === true,
  };
}

/**
 * Tells whether a code is a single unit atom in UCUM's grammar: outside square brackets it has
 * no operator, parenthesis or annotation, and it does not end with a digit, which would be read
 * as an exponent. `10*` and `10^` are atoms. `cm2` and `mg/dL` are expressions.
 */
function isAtom(code: string): boolean {
  const outsideBrackets = code.replace(/\[[^\]]*\]/g, "");
  return !/[./(){}\s]/.test(outsideBrackets) && !/\d$/.test(outsideBrackets);
}

/** Drops the trailing zeros of an exponent vector, so `[1, 0, 0, 0, 0, 0, 0]` is written `[1]`. */
function trimExponents(exponents: readonly number[]): number[] {
  let end = exponents.length;
  while (end > 0 && exponents[end - 1] === 0) end -= 1;
  return exponents.slice(0, end);
}

/**
 * Writes one atom as an array literal. The base units are metric in UCUM, although ucum-lhc's
 * table marks them as not metric. ucum-lhc reads the UCUM definitions `/m`, `/[in_i]` and
 * `/s` of `[diop]`, `[mesh_i]` and `Bd` as a function (`inv`) on a positive exponent. UCUM defines
 * them as plain reciprocal units, so they are written with the inverse magnitude and negated
 * exponents and multiply, divide and take powers like any other unit.
 */
function formatAtom(unit: UnitRow): string {
  const metric = unit.isMetric || unit.isBase ? 1 : 0;
  if (unit.conversion === RECIPROCAL_FUNCTION) {
    if (unit.conversionFactor !== 1) throw new Error(`Reciprocal unit ${unit.code} has a conversion factor of ${unit.conversionFactor}.`);
    const exponents = trimExponents(unit.exponents.map((exponent) => -exponent));
    return `[${1 / unit.magnitude},${JSON.stringify(exponents)},${metric}]`;
  }

  const exponents = JSON.stringify(trimExponents(unit.exponents));
  if (unit.conversion === null) return `[${unit.magnitude},${exponents},${metric}]`;
  if (!unit.isSpecial) throw new Error(`Unit ${unit.code} has the function ${unit.conversion} but is not marked special.`);
  return `[${unit.magnitude},${exponents},${metric},${JSON.stringify(unit.conversion)},${unit.conversionFactor}]`;
}

/** Orders units by code in UTF-16 order, the order of `Array.prototype.sort` without a comparator. */
function compareCodes(a: UnitRow, b: UnitRow): number {
  if (a.code === b.code) return 0;
  return a.code < b.code ? -1 : 1;
}

/** Writes an object key, quoted only when it is not a plain identifier. */
function formatKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

const prefixes = unpack(definitions.prefixes).map((row) => ({ code: String(row.code_), factor: Number(row.value_) }));
const units = unpack(definitions.units).map(readUnit);

const baseUnits: string[] = [];
for (const unit of units.filter((candidate) => candidate.isBase)) {
  const index = unit.exponents.indexOf(1);
  if (index < 0 || unit.exponents.some((exponent, position) => exponent !== 0 && position !== index)) {
    throw new Error(`Base unit ${unit.code} does not have a single exponent of 1.`);
  }
  baseUnits[index] = unit.code;
}
if (baseUnits.length !== units[0]?.exponents.length || baseUnits.includes(undefined as unknown as string)) {
  throw new Error(`Expected one base unit per dimension, found ${JSON.stringify(baseUnits)}.`);
}

const ucumUnits = units.filter((unit) => unit.source === "UCUM");
for (const unit of ucumUnits) {
  if (!isAtom(unit.code)) throw new Error(`UCUM unit ${unit.code} is not a single atom, so the parser could not read it.`);
}
const atoms = ucumUnits.filter((unit) => !unit.isArbitrary).sort(compareCodes);
const arbitraryAtoms = ucumUnits
  .filter((unit) => unit.isArbitrary)
  .map((unit) => unit.code)
  .sort();
const functions = [...new Set(atoms.flatMap((unit) => (unit.conversion !== null && unit.conversion !== RECIPROCAL_FUNCTION ? [unit.conversion] : [])))].sort();

const lines = [
  `// Generated file, do not edit. Source: @lhncbc/ucum-lhc ${packageVersion}, data/ucumDefs.min.json,`,
  "// which ucum-lhc generates from the UCUM data and selected LOINC unit combinations.",
  "// Regenerate with `npx tsx packages/core/scripts/generate-ucum.ts` (also run by `npm run generate`).",
  "",
  "/** The UCUM base units, in the order of the exponents in `UCUM_ATOMS`. */",
  `export const UCUM_BASE_UNITS = ${JSON.stringify(baseUnits)} as const;`,
  "",
  "/** The factor of each UCUM prefix (`k` is 1000, `Ki` is 1024). */",
  "export const UCUM_PREFIXES: Readonly<Record<string, number>> = {",
  ...prefixes.map((prefix) => `${formatKey(prefix.code)}:${prefix.factor},`),
  "};",
  "",
  "/**",
  " * A unit atom: its magnitude in base units, its exponents of `UCUM_BASE_UNITS` without trailing",
  " * zeros, and 1 when it takes prefixes (metric) or 0. A special unit adds the name of its",
  " * conversion function (one of `UCUM_FUNCTIONS`) and a factor that scales the value before the",
  " * function. Such a unit is worth `magnitude * function(value * factor)` base units.",
  " */",
  "export type UcumAtom =",
  "  | readonly [magnitude: number, exponents: readonly number[], metric: 0 | 1]",
  "  | readonly [magnitude: number, exponents: readonly number[], metric: 0 | 1, conversion: string, factor: number];",
  "",
  "/** The names of the conversion functions that special units use. */",
  `export const UCUM_FUNCTIONS = ${JSON.stringify(functions)} as const;`,
  "",
  "/** Unit atoms by case-sensitive code, except the arbitrary units. */",
  "export const UCUM_ATOMS: Readonly<Record<string, UcumAtom>> = {",
  ...atoms.map((unit) => `${formatKey(unit.code)}:${formatAtom(unit)},`),
  "};",
  "",
  "/** Arbitrary units (`[iU]`, `[CFU]`), which are not defined in terms of base units and do not convert. */",
  `export const UCUM_ARBITRARY_ATOMS: readonly string[] = ${JSON.stringify(arbitraryAtoms)};`,
  "",
];

const output = lines.join("\n");
writeFileSync(outputFile, output);
console.log(
  `Wrote ${path.relative(process.cwd(), outputFile)}: ${prefixes.length} prefixes, ${atoms.length} atoms, ` +
    `${arbitraryAtoms.length} arbitrary atoms, ${Buffer.byteLength(output)} bytes`,
);
