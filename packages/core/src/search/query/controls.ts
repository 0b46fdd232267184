/**
 * Result parameters of a search (R4 search.html#return): `_count`, `_sort`, `_include`,
 * `_revinclude`, `_total`, `_summary` and `_elements`.
 */
import type { FhirError } from "../../outcome.ts";
import type { IncludeDirective, SearchQuery } from "../model.ts";
import { findDefinition, isSearchableType, type ParseContext } from "./context.ts";
import { echo, invalidSearch, invalidValue, notSupported } from "./errors.ts";
import { checkTargetType } from "./modifiers.ts";

/** Matches per page when the client sends no `_count`. */
export const DEFAULT_SEARCH_COUNT = 50;

/** Maximum `_count`. Larger values are lowered to it, as R4 allows (search.html#count). */
export const MAX_SEARCH_COUNT = 1_000;

/** Handles a `not-supported` error: throws it under strict handling and records a warning under lenient handling. */
export type ReportUnsupported = (error: FhirError) => void;

/** Parses `_count`, a whole number, lowered to MAX_SEARCH_COUNT. `0` requests the total only. */
export function parseCount(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw invalidValue("_count", value, "expected a whole number");
  return Math.min(Number(value), MAX_SEARCH_COUNT);
}

/** Parses `_total` (search.html#total). */
export function parseTotal(value: string): SearchQuery["total"] {
  if (value === "none" || value === "estimate" || value === "accurate") return value;
  throw invalidValue("_total", value, "expected none, estimate or accurate");
}

/** Parses `_summary` (search.html#summary). */
export function parseSummary(value: string): NonNullable<SearchQuery["summary"]> {
  if (value === "true" || value === "count" || value === "data" || value === "text" || value === "false") return value;
  throw invalidValue("_summary", value, "expected true, count, data, text or false");
}

const ELEMENT_NAME = /^(?:[A-Z][A-Za-z]+\.)?[a-z][A-Za-z0-9]*$/;

/** Parses `_elements` (search.html#elements), a comma-separated list of top-level element names. */
export function parseElements(value: string): string[] {
  const names = value.split(",");
  const wrong = names.find((name) => !ELEMENT_NAME.test(name));
  if (wrong !== undefined) throw invalidValue("_elements", value, `"${echo(wrong)}" is not an element name`);
  return names;
}

/**
 * Parses `_sort` (search.html#sort): comma-separated parameter codes, each descending when it
 * starts with `-`. Each code must be a parameter of every searched type. A key that is not is
 * passed to `report`, and under lenient handling the other keys still apply.
 */
export function parseSort(
  value: string,
  resourceTypes: readonly string[],
  context: ParseContext,
  report: ReportUnsupported,
): SearchQuery["sort"] {
  const keys: Array<{ parameter: string; descending: boolean }> = [];
  for (const item of value.split(",")) {
    const descending = item.startsWith("-");
    const parameter = descending ? item.slice(1) : item;
    if (parameter === "") throw invalidValue("_sort", value, "a sort key is empty");

    const lacking = resourceTypes.find((type) => findDefinition(context, type, parameter) === undefined);
    const definition = lacking === undefined ? findDefinition(context, resourceTypes[0] ?? "", parameter) : undefined;
    if (lacking !== undefined) {
      report(notSupported(`Cannot sort by "${echo(parameter)}": ${lacking} has no search parameter with that code.`));
    } else if (definition?.type === "composite" || definition?.type === "special") {
      report(notSupported(`Cannot sort by "${parameter}": sorting on ${definition.type} parameters is not supported.`));
    } else {
      keys.push({ parameter, descending });
    }
  }
  return keys;
}

/**
 * Parses one `_include` or `_revinclude` (search.html#include): `Type:parameter`,
 * `Type:parameter:targetType`, `Type:*` or `*`. Without `:iterate`, an `_include` must start
 * from a searched type and a `_revinclude` must point to one.
 */
export function parseInclude(
  value: string,
  kind: "_include" | "_revinclude",
  iterate: boolean,
  resourceTypes: readonly string[],
  context: ParseContext,
): IncludeDirective {
  if (value === "*") {
    // Every resource of any type that points at a match would mean one search per reference
    // parameter of every type, so the bare form is offered for _include only.
    if (kind === "_revinclude") throw notSupported('_revinclude "*" is not supported; name the source, for example _revinclude=Observation:*.');
    return { source: "*", parameter: "*", iterate };
  }
  const parts = value.split(":");
  const [source = "", parameter = "", target] = parts;
  if (parts.length < 2 || parts.length > 3 || source === "" || parameter === "" || target === "") {
    throw invalidValue(kind, value, "expected Type:parameter, Type:parameter:targetType, Type:* or *");
  }
  if (!isSearchableType(context, source)) throw notSupported(`${kind} "${echo(value)}": "${echo(source)}" is not a resource type that Flint can search.`);
  if (kind === "_include" && !iterate && !resourceTypes.includes(source)) {
    throw invalidSearch(`_include "${echo(value)}" starts from ${source}, which is not searched. Use _include:iterate to include from included resources.`);
  }
  if (parameter === "*") {
    if (target !== undefined) throw invalidValue(kind, value, "a wildcard parameter takes no target type");
    return { source, parameter, iterate };
  }

  const definition = findDefinition(context, source, parameter);
  if (definition === undefined) throw notSupported(`${kind} "${echo(value)}": ${source} has no search parameter "${echo(parameter)}".`);
  if (definition.type !== "reference") throw invalidSearch(`${kind} "${echo(value)}": "${parameter}" of ${source} is not a reference parameter.`);
  const directive: IncludeDirective = { source, parameter, iterate };
  if (target !== undefined) directive.target = checkTargetType(definition, target, source, context);

  const pointsTo = directive.target === undefined ? definition.target : [directive.target];
  if (kind === "_revinclude" && !iterate && pointsTo !== undefined && !pointsTo.some((type) => resourceTypes.includes(type))) {
    throw invalidSearch(`_revinclude "${echo(value)}": "${parameter}" of ${source} cannot refer to any searched type.`);
  }
  return directive;
}
