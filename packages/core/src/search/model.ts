/**
 * Types of the full search engine (R4 search.html): parameter definitions generated from the
 * official SearchParameter resources, the typed values extracted from resources for indexing
 * and matching, and the typed query that a search URL parses into.
 */

/** R4 search parameter types (search.html#ptypes). `special` parameters are not supported. */
export type SearchParameterType = "string" | "token" | "date" | "number" | "quantity" | "reference" | "uri" | "composite" | "special";

/** One search parameter of one resource type, as generated at build time. */
export interface SearchParameterDefinition {
  code: string;
  type: SearchParameterType;
  /** FHIRPath expression restricted to this resource type (the parts of a shared expression that start with it). */
  expression: string;
  /** Resource types a reference parameter may point to. */
  target?: readonly string[];
  /** Components of a composite parameter: the component's own parameter code and type, and its expression relative to each value of `expression`. */
  components?: ReadonlyArray<{ code: string; type: SearchParameterType; expression: string }>;
}

/** Lowest and highest instants, in epoch ms, standing for an open start or end of a range. */
export const OPEN_START = -8.64e15;
export const OPEN_END = 8.64e15;

/**
 * A value extracted from a resource for one search parameter.
 *
 * - `string`: `exact` as written; `normalized` is NFD-decomposed, combining marks removed, lower case.
 * - `token`: `system` ("" when the element has none, undefined for a bare code such as `code` or `boolean`),
 *   `code` (Coding.code, Identifier.value, ContactPoint.value, the primitive itself), and `text`
 *   (normalized Coding.display, CodeableConcept.text or Identifier.type.text, for `:text`);
 *   `identifierType` contains Identifier.type codings for `:of-type`.
 * - `date`: the half-open range `[start, end)` in epoch ms that the value covers, at its precision;
 *   Periods and Timings give their outer bounds, with `OPEN_START`/`OPEN_END` for a missing bound.
 * - `number` and `quantity`: the value and its implicit precision range `[low, high)`
 *   (search.html#number: `100` stands for [99.5, 100.5)); quantities also carry `system`, `code`,
 *   `unit`, and `canonical` (the value converted to UCUM base units, with its canonical code) when UCUM can convert it.
 * - `reference`: `reference` is the local `Type/id` when the reference is relative or absolute to
 *   this server; `url` the absolute URL or canonical (without `|version`); `version` a canonical's
 *   version; `identifier` the logical reference's Identifier.
 * - `uri`: the value as written.
 * - `composite`: for each component, the values extracted from the same repetition.
 */
export type IndexValue =
  | { type: "string"; exact: string; normalized: string }
  | {
      type: "token";
      system?: string;
      code?: string;
      text?: string;
      identifierType?: ReadonlyArray<{ system?: string; code?: string }>;
    }
  | { type: "date"; start: number; end: number }
  | { type: "number"; value: number; low: number; high: number }
  | {
      type: "quantity";
      value: number;
      low: number;
      high: number;
      system?: string;
      code?: string;
      unit?: string;
      canonical?: { value: number; low: number; high: number; code: string };
    }
  | { type: "reference"; reference?: string; resourceType?: string; url?: string; version?: string; identifier?: { system?: string; value?: string } }
  | { type: "uri"; value: string }
  | { type: "composite"; components: ReadonlyArray<readonly IndexValue[]> };

/** Comparison prefixes of number, date and quantity values (search.html#prefix). */
export type Prefix = "eq" | "ne" | "gt" | "lt" | "ge" | "le" | "sa" | "eb" | "ap";

/**
 * One value of a search parameter in a query, parsed by type.
 * For `date`, `number` and `quantity`, `[low, high)` is the implicit range of the query value.
 */
export type QueryValue =
  | { type: "string"; value: string; normalized: string }
  | { type: "token"; system?: string; code?: string }
  | { type: "token-text"; text: string }
  | { type: "token-of-type"; system: string; code: string; value: string }
  | { type: "date"; prefix: Prefix; start: number; end: number }
  | { type: "number"; prefix: Prefix; value: number; low: number; high: number }
  | {
      type: "quantity";
      prefix: Prefix;
      value: number;
      low: number;
      high: number;
      system?: string;
      code?: string;
      canonical?: { value: number; low: number; high: number; code: string };
    }
  | { type: "reference"; resourceType?: string; id?: string; url?: string; version?: string }
  | { type: "reference-identifier"; system?: string; value?: string }
  | { type: "uri"; value: string }
  | { type: "composite"; components: readonly QueryValue[] };

/** Modifiers Flint supports (search.html#modifiers); a resource type name is the `:[type]` modifier. */
export type Modifier = "exact" | "contains" | "missing" | "not" | "text" | "of-type" | "below" | "above" | "identifier" | `type:${string}`;

/**
 * One criterion of a query. Its values are alternatives (OR); clauses combine with AND.
 * A chained clause (`subject:Patient.name=x`) matches when a resource that the reference
 * parameter points to (of `chain.target` type) matches `chain.clause`. A reverse-chained clause
 * (`_has:Observation:subject:code=x`) matches when a resource of `has.resourceType` whose
 * `has.reference` parameter points to the candidate matches `has.clause`.
 */
export type QueryClause =
  | {
      kind: "parameter";
      parameter: string;
      type: SearchParameterType;
      modifier?: Modifier;
      /** For `:missing`: true matches resources without a value. */
      missing?: boolean;
      values: readonly QueryValue[];
    }
  | { kind: "chain"; parameter: string; target: string; clause: QueryClause }
  | { kind: "has"; resourceType: string; reference: string; clause: QueryClause };

/** An `_include` or `_revinclude` (search.html#include): `source:parameter[:target]`, `*` for all. */
export interface IncludeDirective {
  source: string;
  parameter: string;
  target?: string;
  iterate: boolean;
}

/** A parsed search (search.html), at type level (`resourceTypes` of one) or system level. */
export interface SearchQuery {
  /** Types searched: one for `GET [type]`, the `_type` list or all for `GET [base]`. */
  resourceTypes: readonly string[];
  clauses: readonly QueryClause[];
  /** Sort keys in order; parameter codes, with `descending` for a leading `-`. */
  sort: ReadonlyArray<{ parameter: string; descending: boolean }>;
  include: readonly IncludeDirective[];
  revinclude: readonly IncludeDirective[];
  count: number;
  cursor?: string;
  total: "none" | "estimate" | "accurate";
  summary?: "true" | "count" | "data" | "text" | "false";
  elements?: readonly string[];
}
