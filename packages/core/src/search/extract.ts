/**
 * Extraction of the typed search values of a resource, for indexing on write and for matching
 * (R4 search.html): one entry per search parameter of the resource's type that has values.
 */
import type { Resource } from "fhir/r4";
import { SEARCH_PARAMETERS } from "../generated/search-parameters.ts";
import type { IndexValue, SearchParameterDefinition } from "./model.ts";
import { extractComposite } from "./extract/composite.ts";
import { convertItems } from "./extract/convert.ts";
import { parseFhirDate } from "./extract/date.ts";
import { evaluateExpression } from "./extract/evaluate.ts";

export { normalizeString } from "./extract/string.ts";
export { decimalRange, numberRange, type PrecisionRange } from "./extract/number.ts";
export { toCanonicalQuantity, UCUM_SYSTEM, type CanonicalQuantity } from "./extract/ucum.ts";
export { CURRENCY_SYSTEM } from "./extract/quantity.ts";

/**
 * Extracts the values of every search parameter of the resource's type (R4 search.html), typed
 * as `IndexValue` describes. The map has an entry for each parameter with at least one value, so
 * a parameter without an entry is `:missing`. Composite parameters give one value per
 * repetition whose components all have values. `_id` is the token `id` and `_lastUpdated` the
 * date `meta.lastUpdated`, read directly.
 *
 * Hint: `special` parameters (`near`, `_content`, `_text`, `_query`) have no values here.
 * With `only`, just those parameters are extracted, which is how search checks a candidate
 * against its clauses without evaluating every expression of the type.
 *
 * Throws when an expression fails to evaluate, with the parameter in the message.
 */
export function extractSearchValues(resource: Resource, only?: ReadonlySet<string>): Map<string, IndexValue[]> {
  const result = new Map<string, IndexValue[]>();
  for (const definition of SEARCH_PARAMETERS[resource.resourceType] ?? []) {
    if (only !== undefined && !only.has(definition.code)) continue;
    const values = extractParameter(definition, resource);
    if (values.length > 0) result.set(definition.code, values);
  }
  return result;
}

function extractParameter(definition: SearchParameterDefinition, resource: Resource): IndexValue[] {
  const { code, type, expression } = definition;
  if (code === "_id") return resource.id === undefined ? [] : [{ type: "token", code: resource.id }];
  if (code === "_lastUpdated") {
    const range = resource.meta?.lastUpdated === undefined ? undefined : parseFhirDate(resource.meta.lastUpdated);
    return range === undefined ? [] : [{ type: "date", start: range.start, end: range.end }];
  }

  try {
    if (type === "special") return [];
    if (type === "composite") return extractComposite(definition, resource);
    return convertItems(type, evaluateExpression(expression, resource, resource));
  } catch (error) {
    throw new Error(`Failed to extract the search parameter ${resource.resourceType}.${code} (${expression}).`, { cause: error });
  }
}
