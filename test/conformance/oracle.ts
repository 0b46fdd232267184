/**
 * Hand-written value rules of R4 search (https://hl7.org/fhir/R4/search.html), used to compute
 * the expected result of a conformance case straight from the fixture JSON. Nothing here comes
 * from the server's search code, so that a bug there cannot hide in the expectation too.
 */
import type { Json } from "./harness.ts";

// ---------------------------------------------------------------------------------------------
// Strings (search.html#string)

/** Folds case and removes combining marks such as accents, the normalisation of R4 string search. */
export function foldText(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/** Tests the default string match: the value equals or starts with the query, after folding both. */
export function startsWithText(value: string | undefined, query: string): boolean {
  return value !== undefined && foldText(value).startsWith(foldText(query));
}

/** Tests `:contains`: the query occurs anywhere in the value, after folding both. */
export function containsText(value: string | undefined, query: string): boolean {
  return value !== undefined && foldText(value).includes(foldText(query));
}

/** Returns the string elements of a HumanName that a string parameter searches. `use` and `period` are not among them. */
export function humanNameParts(name: Json): string[] {
  return [name?.text, name?.family, ...(name?.given ?? []), ...(name?.prefix ?? []), ...(name?.suffix ?? [])].filter(isString);
}

/** Returns the string elements of an Address that a string parameter searches. */
export function addressParts(address: Json): string[] {
  return [
    address?.text,
    ...(address?.line ?? []),
    address?.city,
    address?.district,
    address?.state,
    address?.postalCode,
    address?.country,
  ].filter(isString);
}

/** Returns a resource's HumanNames. Types whose `name` is a plain string, such as Group, have none. */
function humanNames(resource: Json): Json[] {
  return Array.isArray(resource?.name) ? resource.name : [];
}

/** Returns every string that a `name` parameter searches in the HumanNames of a resource. */
export function nameParts(resource: Json): string[] {
  return humanNames(resource).flatMap(humanNameParts);
}

/** Returns the family names of a resource's HumanNames. */
export function familiesOf(resource: Json): string[] {
  return humanNames(resource)
    .map((name) => name.family)
    .filter(isString);
}

/** Returns the given names of a resource's HumanNames. */
export function givensOf(resource: Json): string[] {
  return humanNames(resource)
    .flatMap((name) => name.given ?? [])
    .filter(isString);
}

/** Returns a resource's Addresses, whether `address` is one Address or an array. */
export function addressesOf(resource: Json): Json[] {
  const address = resource?.address;
  if (address === undefined) return [];
  return Array.isArray(address) ? address : [address];
}

/** Returns the ContactPoint values of a resource, only those of `system` when it is given. */
export function telecomValuesOf(resource: Json, system?: string): string[] {
  return (resource?.telecom ?? [])
    .filter((point: Json) => system === undefined || point.system === system)
    .map((point: Json) => point.value)
    .filter(isString);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

// ---------------------------------------------------------------------------------------------
// Tokens (search.html#token)

export interface Code {
  system?: string;
  code?: string;
}

/** Returns the codings of a CodeableConcept, a Coding, or an array of either. */
export function codingsOf(value: Json): Code[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(codingsOf);
  if (Array.isArray(value.coding)) return value.coding;
  if (value.code !== undefined || value.system !== undefined) return [value];
  return [];
}

/** Returns Identifiers as codes, with `Identifier.system` as system and `Identifier.value` as code. */
export function identifierCodes(identifiers: Json): Code[] {
  return (identifiers ?? []).map((identifier: Json) => ({ system: identifier.system, code: identifier.value }));
}

/**
 * Tests codes against one token value: `code` (any system), `system|code`, `|code` (no system)
 * or `system|` (any code of the system). The match is case-sensitive, as the token values of
 * these cases are.
 */
export function matchesToken(codes: readonly Code[], token: string): boolean {
  const bar = token.indexOf("|");
  if (bar < 0) return codes.some((code) => code.code === token);
  const system = token.slice(0, bar);
  const value = token.slice(bar + 1);
  return codes.some((code) => {
    const systemMatches = system === "" ? code.system === undefined : code.system === system;
    return systemMatches && (value === "" || code.code === value);
  });
}

/** Tests codes against a comma-separated list of token values, any of which may match. */
export function matchesAnyToken(codes: readonly Code[], tokens: string): boolean {
  return tokens.split(",").some((token) => matchesToken(codes, token));
}

// ---------------------------------------------------------------------------------------------
// Ordered values: dates, numbers and quantities (search.html#prefix)

/** A half-open interval `[low, high)`: epoch milliseconds for dates, plain numbers otherwise. */
export interface Interval {
  low: number;
  high: number;
}

export type Prefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";

/** Splits `ge2020` into the prefix `ge` and the value `2020`. A value without a prefix is `eq`. */
export function splitPrefix(text: string): { prefix: Prefix; value: string } {
  const match = /^(eq|ne|gt|lt|ge|le|sa|eb|ap)(.*)$/.exec(text);
  if (match === null) return { prefix: "eq", value: text };
  return { prefix: match[1] as Prefix, value: match[2]! };
}

const DATE_TIME = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * Returns the interval a date, dateTime or instant covers at its precision: `2013-01-10` is the
 * whole day. R4 leaves the zone of a value without one to the server. These cases read such
 * values as UTC, the zone Flint documents for them.
 */
export function dateInterval(text: string): Interval {
  const match = DATE_TIME.exec(text);
  if (match === null) throw new Error(`"${text}" is not a FHIR date, dateTime or instant.`);
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  const y = Number(year);
  const mo = month === undefined ? 0 : Number(month) - 1;
  const d = day === undefined ? 1 : Number(day);
  const h = hour === undefined ? 0 : Number(hour);
  const mi = minute === undefined ? 0 : Number(minute);
  const s = second === undefined ? 0 : Number(second);
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;

  let offsetMinutes = 0;
  if (zone !== undefined && zone !== "Z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    offsetMinutes = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  }
  const shift = offsetMinutes * 60_000;

  const low = Date.UTC(y, mo, d, h, mi, s) + fractionMs - shift;
  let high: number;
  if (month === undefined) high = Date.UTC(y + 1, 0, 1) - shift;
  else if (day === undefined) high = Date.UTC(y, mo + 1, 1) - shift;
  else if (hour === undefined) high = Date.UTC(y, mo, d + 1) - shift;
  else if (second === undefined) high = low + 60_000;
  else if (fraction === undefined) high = low + 1_000;
  else high = low + 1000 * 10 ** -fraction.length;
  return { low, high };
}

/** Returns the interval of a Period. A missing start or end leaves that side open. */
export function periodInterval(period: Json): Interval | undefined {
  if (period === undefined || (period.start === undefined && period.end === undefined)) return undefined;
  return {
    low: period.start === undefined ? -Infinity : dateInterval(period.start).low,
    high: period.end === undefined ? Infinity : dateInterval(period.end).high,
  };
}

/**
 * Tests a target interval against a query value with its prefix, by the range column of the
 * R4 prefix table:
 *
 * - `eq`: the query interval contains the whole target, and `ne` is the opposite.
 * - `gt`: some of the target lies after the query interval, `lt`: some of it lies before.
 * - `ge` and `le`: as `gt` and `lt`, or as `eq`.
 * - `sa`: the whole target lies after the query interval, `eb`: the whole target before it.
 *
 * `ap` has no single expected result, because R4 leaves its margin to the server. A case with `ap` lists
 * the targets within the margin R4 recommends as optional.
 *
 * NOTE: R4 defines the range below a value as including the value itself ("less or equal"), so
 * `le` on a target that starts exactly where the query starts could go either way. The cases
 * keep clear of that boundary.
 */
export function compareIntervals(prefix: Exclude<Prefix, "ap">, query: Interval, target: Interval): boolean {
  const contained = query.low <= target.low && target.high <= query.high;
  switch (prefix) {
    case "eq":
      return contained;
    case "ne":
      return !contained;
    case "gt":
      return target.high > query.high;
    case "lt":
      return target.low < query.low;
    case "ge":
      return target.high > query.high || contained;
    case "le":
      return target.low < query.low || contained;
    case "sa":
      return target.low >= query.high;
    case "eb":
      return target.high <= query.low;
  }
}

/** Tests a target date interval against a date query value such as `ge2020-01`. An absent target never matches. */
export function matchesDate(target: Interval | undefined, queryText: string): boolean {
  if (target === undefined) return false;
  const { prefix, value } = splitPrefix(queryText);
  if (prefix === "ap") throw new Error("ap has no exact oracle; list the targets as expected and optional instead.");
  return compareIntervals(prefix, dateInterval(value), target);
}

/** Returns the interval of a dateTime, or undefined when the element is absent. */
export function dateTimeInterval(text: string | undefined): Interval | undefined {
  return text === undefined ? undefined : dateInterval(text);
}

/**
 * Returns the implicit range of a decimal written in a query: the value plus or minus half a unit
 * of its last written digit, so `100` is `[99.5, 100.5)` and `0.02` is `[0.015, 0.025)`.
 */
export function decimalInterval(text: string): Interval & { value: number } {
  const match = /^[+-]?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) throw new Error(`"${text}" is not a decimal.`);
  const fractionDigits = (match[2] ?? "").length - Number(match[3] ?? "0");
  const value = Number(text);
  const half = 10 ** -fractionDigits / 2;
  return { value, low: value - half, high: value + half };
}

/**
 * Tests a number from a resource, taken as exact, against a number query value. `eq` and `ne`
 * use the query's implicit range. The other prefixes compare with the value itself, because R4
 * drops the implicit precision for them (search.html#number), so `sa` and `eb` act as `gt` and
 * `lt` on a single number.
 */
export function matchesNumber(stored: number | undefined, queryText: string, scale = 1): boolean {
  if (stored === undefined) return false;
  const { prefix, value } = splitPrefix(queryText);
  const range = decimalInterval(value);
  const exact = range.value * scale;
  const low = range.low * scale;
  const high = range.high * scale;
  switch (prefix) {
    case "eq":
      return low <= stored && stored < high;
    case "ne":
      return !(low <= stored && stored < high);
    case "gt":
    case "sa":
      return stored > exact;
    case "lt":
    case "eb":
      return stored < exact;
    case "ge":
      return stored >= exact;
    case "le":
      return stored <= exact;
    case "ap":
      throw new Error("ap has no exact oracle; list the targets as expected and optional instead.");
  }
}

// ---------------------------------------------------------------------------------------------
// Quantities (search.html#quantity)

export const UCUM = "http://unitsofmeasure.org";

/**
 * UCUM units that the quantity cases use, each as a factor to a base unit of its dimension:
 * `[lb_av]` is 453.59237 g, `[in_i]` is 2.54 cm, `a` is the Julian year of 365.25 days and `mo`
 * a twelfth of it. These factors were checked once against `@lhncbc/ucum-lhc` 7.1.10, which the
 * oracle does not use.
 */
const UCUM_UNITS: Record<string, { factor: number; base: string }> = {
  ug: { factor: 1e-6, base: "g" },
  mg: { factor: 1e-3, base: "g" },
  g: { factor: 1, base: "g" },
  kg: { factor: 1e3, base: "g" },
  "[lb_av]": { factor: 453.59237, base: "g" },
  mm: { factor: 1e-3, base: "m" },
  cm: { factor: 1e-2, base: "m" },
  m: { factor: 1, base: "m" },
  "[in_i]": { factor: 0.0254, base: "m" },
  mL: { factor: 1e-3, base: "L" },
  L: { factor: 1, base: "L" },
  s: { factor: 1, base: "s" },
  min: { factor: 60, base: "s" },
  h: { factor: 3600, base: "s" },
  d: { factor: 86_400, base: "s" },
  wk: { factor: 604_800, base: "s" },
  mo: { factor: 2_629_800, base: "s" },
  a: { factor: 31_557_600, base: "s" },
  "mg/dL": { factor: 1e-2, base: "g/L" },
  "g/dL": { factor: 10, base: "g/L" },
  "g/L": { factor: 1, base: "g/L" },
};

/**
 * Tests a Quantity from a resource against a quantity query value `[prefix]number|system|code`.
 * With a system and a code, the stored quantity must have the same ones, or both must be UCUM
 * units of one dimension in the table above, compared after conversion. With only a code
 * (`5.4||mg`), the stored code or unit must equal it. A bare number ignores the unit.
 */
export function matchesQuantity(stored: Json, queryText: string): boolean {
  if (typeof stored?.value !== "number") return false;
  const [numberText = "", system, code] = queryText.split("|");
  if (system === undefined || (system === "" && (code === undefined || code === ""))) return matchesNumber(stored.value, numberText);
  if (system === "") return (stored.code === code || stored.unit === code) && matchesNumber(stored.value, numberText);
  if (stored.system === system && stored.code === code) return matchesNumber(stored.value, numberText);

  const from = system === UCUM && stored.system === UCUM ? UCUM_UNITS[stored.code] : undefined;
  const to = system === UCUM && code !== undefined ? UCUM_UNITS[code] : undefined;
  if (from === undefined || to === undefined || from.base !== to.base) return false;
  return matchesNumber(stored.value * from.factor, numberText, to.factor);
}

// ---------------------------------------------------------------------------------------------
// Sorting (search.html#sort)

/** One `_sort` key: how to read its values from a resource, and its direction. */
export interface SortKey {
  name: string;
  values: (resource: Json) => Array<string | number>;
  descending?: boolean;
}

/**
 * Orders two resources by the sort keys. For a key with several values the one that comes first
 * in the requested direction counts, as R4 specifies. Strings compare without case, as R4 recommends.
 * A resource without a value for a key comes after every resource with one, in both directions,
 * which is what Flint promises.
 */
export function compareForSort(a: Json, b: Json, keys: readonly SortKey[]): number {
  for (const key of keys) {
    const left = representative(key.values(a), key.descending === true);
    const right = representative(key.values(b), key.descending === true);
    if (left === undefined && right === undefined) continue;
    if (left === undefined) return 1;
    if (right === undefined) return -1;
    if (left === right) continue;
    const order = left < right ? -1 : 1;
    return key.descending === true ? -order : order;
  }
  return 0;
}

function representative(values: Array<string | number>, descending: boolean): string | number | undefined {
  const comparable = values.map((value) => (typeof value === "string" ? foldText(value) : value));
  if (comparable.length === 0) return undefined;
  return comparable.reduce((best, value) => ((descending ? value > best : value < best) ? value : best));
}
