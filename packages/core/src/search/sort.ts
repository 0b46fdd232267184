import type { IndexValue, SearchQuery } from "./model.ts";

/** A sortable projection of one value: a number for dates and quantities, text otherwise. */
type SortValue = number | string;

/**
 * Picks the value a resource sorts by for one parameter (R4 search.html#sort): the lowest for
 * ascending order, the highest for descending order. Dates sort by the start of their range
 * ascending and by its end descending. Returns undefined when the resource has no value.
 */
export function sortValue(values: readonly IndexValue[] | undefined, descending: boolean): SortValue | undefined {
  let best: SortValue | undefined;
  for (const value of values ?? []) {
    const candidate = project(value, descending);
    if (candidate === undefined) continue;
    if (best === undefined || (descending ? candidate > best : candidate < best)) best = candidate;
  }
  return best;
}

function project(value: IndexValue, descending: boolean): SortValue | undefined {
  switch (value.type) {
    case "string":
      return value.normalized;
    case "token":
      return value.code ?? value.text;
    case "date":
      return descending ? value.end : value.start;
    case "number":
      return value.value;
    case "quantity":
      return value.canonical?.value ?? value.value;
    case "reference":
      return value.reference ?? value.url;
    case "uri":
      return value.value;
    case "composite":
      return undefined;
  }
}

/**
 * Compares two resources by the sort keys of a query, then by id, so that the order is total
 * and paging never repeats or skips a resource while the data does not change. A resource
 * without a value for a key comes after those that have one, in either direction.
 */
export function compareForSort(
  sort: SearchQuery["sort"],
  a: { id: string; values: ReadonlyMap<string, readonly IndexValue[]> },
  b: { id: string; values: ReadonlyMap<string, readonly IndexValue[]> },
): number {
  for (const key of sort) {
    const left = sortValue(a.values.get(key.parameter), key.descending);
    const right = sortValue(b.values.get(key.parameter), key.descending);
    if (left === right) continue;
    if (left === undefined) return 1;
    if (right === undefined) return -1;
    const order = left < right ? -1 : 1;
    return key.descending ? -order : order;
  }
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}
