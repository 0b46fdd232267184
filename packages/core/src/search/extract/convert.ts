/** Conversion of FHIRPath results to index values, one converter per search parameter type. */
import type { IndexValue, SearchParameterType } from "../model.ts";
import { extractDates } from "./date.ts";
import type { FhirValue } from "./evaluate.ts";
import { extractNumbers } from "./number.ts";
import { extractQuantities } from "./quantity.ts";
import { extractReferences } from "./reference.ts";
import { extractStrings } from "./string.ts";
import { extractTokens } from "./token.ts";
import { extractUris } from "./uri.ts";

/** The parameter types whose values come from one element each. */
export type SimpleParameterType = Exclude<SearchParameterType, "composite" | "special">;

type Converter = (item: FhirValue, values: IndexValue[]) => void;

const CONVERTERS: Readonly<Record<SimpleParameterType, Converter>> = {
  string: extractStrings,
  token: extractTokens,
  date: extractDates,
  number: extractNumbers,
  quantity: extractQuantities,
  reference: extractReferences,
  uri: extractUris,
};

/** Converts the items of an expression's result to values of one parameter type, without duplicates. */
export function convertItems(type: SimpleParameterType, items: readonly FhirValue[]): IndexValue[] {
  const convert = CONVERTERS[type];
  const values: IndexValue[] = [];
  for (const item of items) {
    if (item.value !== null && item.value !== undefined) convert(item, values);
  }
  return values.length > 1 ? withoutDuplicates(values) : values;
}

/**
 * Removes repeated values, as the FHIRPath union of a search expression does for equal elements
 * (`InsurancePlan.name | InsurancePlan.alias` with the same text twice).
 */
function withoutDuplicates(values: readonly IndexValue[]): IndexValue[] {
  const seen = new Set<string>();
  const distinct: IndexValue[] = [];
  for (const value of values) {
    const key = JSON.stringify(value);
    if (seen.has(key)) continue;
    seen.add(key);
    distinct.push(value);
  }
  return distinct;
}
