import { approximateDateRange, numberBounds, type NumberBounds, type Prefix, type QueryClause, type QueryValue } from "@flint/core";
import type { Tables } from "../schema.ts";
import { indexText, prefixEnd } from "./text.ts";

/** Collects statement parameters and returns their `$n` placeholders. */
export class Parameters {
  readonly values: unknown[];

  constructor(initial: readonly unknown[] = []) {
    this.values = [...initial];
  }

  /** Adds a value and returns its placeholder, with a cast when given (`$3::bigint`). */
  add(value: unknown, cast?: string): string {
    this.values.push(value);
    return cast === undefined ? `$${this.values.length}` : `$${this.values.length}::${cast}`;
  }
}

/**
 * Builds the SQL condition on `r` (a row of the resource table) that an index serves for one
 * clause, or returns undefined when no index serves it: the clause is then only checked on the
 * candidates, in memory. The condition is an `EXISTS` on the clause's index table whose values
 * are alternatives (OR). It selects a superset of the resources that the clause matches, so the
 * in-memory check keeps the results exact.
 *
 * Served: `_id`, tokens without a modifier and with `:text`, references by `Type/id` (also with
 * `:[type]`) or by URL, strings by prefix and with `:exact`, and exact uris. Dates, numbers and
 * quantities are served under every prefix except `ne`, quantities when they have a UCUM unit,
 * a `system|code`, or no unit at all.
 */
export function clauseCondition(tables: Tables, clause: QueryClause, parameters: Parameters, now: number): string | undefined {
  if (clause.kind !== "parameter" || clause.values.length === 0) return undefined;
  const modifier = clause.modifier;
  const served =
    modifier === undefined ||
    (modifier === "exact" && clause.type === "string") ||
    (modifier === "text" && clause.type === "token") ||
    (modifier.startsWith("type:") && clause.type === "reference");
  if (!served) return undefined;

  if (clause.parameter === "_id") return idCondition(clause.values, parameters);

  const family = familyOf(clause.values[0]!);
  if (family === undefined || clause.values.some((value) => familyOf(value) !== family)) return undefined;
  // A trial run decides whether every value is served before any parameter is added.
  if (clause.values.some((value) => valueCondition(value, modifier, new Parameters(), now) === undefined)) return undefined;

  const param = parameters.add(clause.parameter);
  const alternatives = clause.values.map((value) => `(${valueCondition(value, modifier, parameters, now)!})`);
  return `EXISTS (SELECT 1 FROM ${tables[family]} x WHERE x.type = r.type AND x.id = r.id AND x.param = ${param} AND (${alternatives.join(" OR ")}))`;
}

function idCondition(values: readonly QueryValue[], parameters: Parameters): string | undefined {
  const ids = values.flatMap((value) => (value.type === "token" && value.code !== undefined && value.system === undefined ? [value.code] : []));
  if (ids.length !== values.length) return undefined;
  return `r.id IN (${ids.map((id) => parameters.add(id)).join(", ")})`;
}

function familyOf(value: QueryValue): keyof Tables | undefined {
  switch (value.type) {
    case "token":
    case "token-text":
      return "token";
    case "string":
    case "date":
    case "number":
    case "quantity":
    case "reference":
    case "uri":
      return value.type;
    default:
      return undefined;
  }
}

/** Condition on the index row `x` for one alternative, or undefined when the index cannot serve it. */
function valueCondition(value: QueryValue, modifier: string | undefined, parameters: Parameters, now: number): string | undefined {
  switch (value.type) {
    case "token": {
      if (value.code === undefined && value.system === undefined) return undefined;
      const parts: string[] = [];
      if (value.system !== undefined) parts.push(`x.system = ${parameters.add(indexText(value.system))}`);
      if (value.code !== undefined) parts.push(`x.code = ${parameters.add(indexText(value.code))}`);
      return parts.join(" AND ");
    }
    case "token-text":
      return value.text === "" ? undefined : prefixCondition("x.text", value.text, parameters);
    case "string":
      if (value.normalized === "") return undefined;
      if (modifier === "exact") return `x.value = ${parameters.add(indexText(value.normalized))}`;
      return prefixCondition("x.value", value.normalized, parameters);
    case "reference":
      if (value.url !== undefined) return `x.url = ${parameters.add(indexText(value.url))}`;
      if (value.resourceType !== undefined && value.id !== undefined) return `x.local = ${parameters.add(indexText(`${value.resourceType}/${value.id}`))}`;
      return undefined;
    case "uri":
      return `x.value = ${parameters.add(indexText(value.value))}`;
    case "date":
      return dateCondition(value, parameters, now);
    case "number":
      return boundsCondition("x.value", numberBounds(value.prefix, value), parameters);
    case "quantity":
      return quantityCondition(value, parameters);
    default:
      return undefined;
  }
}

/** Selects the values that start with `prefix`, as a range the btree index on the column serves. */
function prefixCondition(column: string, prefix: string, parameters: Parameters): string {
  const start = indexText(prefix);
  const end = prefixEnd(start);
  const lower = `${column} >= ${parameters.add(start)}`;
  return end === undefined ? lower : `${lower} AND ${column} < ${parameters.add(end)}`;
}

/**
 * Condition on the stored range `[lo, hi)` for a date prefix, the same test as compareRanges in
 * core (search.html#prefix), so the index proposes exactly the matching values. Bounds are
 * rounded outwards to whole milliseconds, the unit of the columns.
 */
function dateCondition(value: QueryValue & { type: "date" }, parameters: Parameters, now: number): string | undefined {
  const low = value.start;
  const high = value.end;
  const bigint = (bound: number, round: (x: number) => number) => parameters.add(round(bound), "bigint");
  const contains = () => `(x.lo >= ${bigint(low, Math.floor)} AND x.hi <= ${bigint(high, Math.ceil)})`;
  switch (value.prefix) {
    case "eq":
      return contains();
    case "gt":
      return `x.hi > ${bigint(high, Math.floor)}`;
    case "lt":
      return `x.lo < ${bigint(low, Math.ceil)}`;
    case "ge":
      return `x.hi > ${bigint(high, Math.floor)} OR ${contains()}`;
    case "le":
      return `x.lo < ${bigint(low, Math.ceil)} OR ${contains()}`;
    case "sa":
      return `x.lo >= ${bigint(high, Math.floor)}`;
    case "eb":
      return `x.hi <= ${bigint(low, Math.ceil)}`;
    case "ap": {
      const approximate = approximateDateRange({ low, high }, now);
      return `x.lo < ${bigint(approximate.high, Math.ceil)} AND x.hi > ${bigint(approximate.low, Math.floor)}`;
    }
    case "ne":
      return undefined;
  }
}

function quantityCondition(value: QueryValue & { type: "quantity" }, parameters: Parameters): string | undefined {
  if (value.canonical !== undefined) {
    const bounds = numberBounds(value.prefix, value.canonical);
    if (bounds === null) return undefined;
    return `x.canonical_code = ${parameters.add(indexText(value.canonical.code))} AND ${boundsCondition("x.canonical_value", bounds, parameters)}`;
  }
  const bounds = numberBounds(value.prefix, value);
  if (bounds === null) return undefined;
  // A bare number matches in any unit; `number||code` may also match the human-readable unit, which has no column.
  if (value.system === undefined && value.code === undefined) return boundsCondition("x.value", bounds, parameters);
  if (value.system === undefined || value.code === undefined) return undefined;
  return `x.system = ${parameters.add(indexText(value.system))} AND x.code = ${parameters.add(indexText(value.code))} AND ${boundsCondition("x.value", bounds, parameters)}`;
}

/** Inclusive bounds on a stored number, or null when no index serves the prefix. */
type Bounds = NumberBounds | null;

function boundsCondition(column: string, bounds: Bounds, parameters: Parameters): string | undefined {
  if (bounds === null) return undefined;
  const parts: string[] = [];
  if (bounds.low !== undefined) parts.push(`${column} >= ${parameters.add(bounds.low, "float8")}`);
  if (bounds.high !== undefined) parts.push(`${column} <= ${parameters.add(bounds.high, "float8")}`);
  return parts.length === 0 ? "true" : parts.join(" AND ");
}
