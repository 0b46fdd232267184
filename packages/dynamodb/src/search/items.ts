import type { IndexValue } from "@flint/core";
import { boundKey, boundSort, escapePart, shardOf, sortableNumber } from "./encode.ts";

/**
 * Index items of the full search engine. Each item lives in partition `I#{key}`. Equality items
 * have the resource id as sort key; range items have `{sort}#{id}`, so a key condition on the
 * sort key selects a range of values. The key names the family, type and parameter:
 *
 * | family | key | sort | serves |
 * | --- | --- | --- | --- |
 * | token | `T#{type}#{param}#S#{system}\|{code}`, `#C#{code}`, `#Y#{system}` | id | token forms |
 * | token text | `X#{type}#{param}#{first char}` | normalized text | `:text` |
 * | string | `S#{type}#{param}#{first char}` | normalized value | default prefix and `:exact` |
 * | date | `D#{type}#{param}#lo#s{n}` and `#hi#s{n}` | start or end, sortable | prefixes |
 * | number, quantity | `N#{type}#{param}#{unit}#lo` and `#hi` | low or high bound, sortable | prefixes |
 * | reference | `R#{type}#{param}#{Type/id}`, `#U#{url}`, `#I#{system}\|{value}` | id | reference forms |
 * | uri | `U#{type}#{param}#{value}` and `UP#{type}#{param}` | id, or the value for `:below` | uri forms |
 * | composite | `P#{type}#{param}#{first component key}` | id | composites, then verification |
 *
 * Tokens without a system (codes and booleans such as gender or status) and dates are spread
 * over shards by id, so that a frequent value or a busy day does not fill one partition.
 */
export interface IndexItem {
  key: string;
  sort?: string;
}

/** Shards of token values without a system, such as `gender=female`. */
export const TOKEN_SHARDS = 8;
/** Shards of date items, which cluster around the present. */
export const DATE_SHARDS = 16;

/** Unit part of a number or quantity key: `{system}|{code}`, `*` for any unit, `=` for the canonical form. */
export function unitPart(system: string | undefined, code: string | undefined): string {
  return `${escapePart(system ?? "")}|${escapePart(code ?? "")}`;
}

export function tokenKeys(type: string, parameter: string, system: string | undefined, code: string | undefined, shard: number | undefined): string[] {
  const base = `T#${type}#${parameter}#`;
  const suffix = shard === undefined ? "" : `#s${shard}`;
  const keys: string[] = [];
  if (code !== undefined) {
    keys.push(boundKey(`${base}C#`, escapePart(code)) + suffix);
    keys.push(boundKey(`${base}S#`, `${escapePart(system ?? "")}|${escapePart(code)}`) + suffix);
  }
  if (system !== undefined && system !== "") keys.push(boundKey(`${base}Y#`, escapePart(system)) + suffix);
  return keys;
}

/** First character of a normalized string, which selects the partition of string items. */
export function stringBucket(normalized: string): string {
  return escapePart(normalized.slice(0, 1));
}

/** Builds every index item of a resource from its extracted search values. */
export function searchIndexItems(type: string, id: string, values: ReadonlyMap<string, readonly IndexValue[]>): IndexItem[] {
  const items = new Map<string, IndexItem>();
  const add = (key: string, sort?: string) => {
    const item: IndexItem = sort === undefined ? { key } : { key, sort };
    items.set(sort === undefined ? key : `${key}\u0001${sort}`, item);
  };

  for (const [parameter, list] of values) {
    if (parameter === "_id") continue;
    for (const value of list) addValue(type, id, parameter, value, add);
  }
  return [...items.values()];
}

function addValue(type: string, id: string, parameter: string, value: IndexValue, add: (key: string, sort?: string) => void): void {
  switch (value.type) {
    case "token": {
      const shard = value.system === undefined ? shardOf(id, TOKEN_SHARDS) : undefined;
      for (const key of tokenKeys(type, parameter, value.system, value.code, shard)) add(key);
      if (value.text !== undefined && value.text !== "") add(`X#${type}#${parameter}#${stringBucket(value.text)}`, boundSort(value.text));
      return;
    }
    case "string":
      if (value.normalized !== "") add(`S#${type}#${parameter}#${stringBucket(value.normalized)}`, boundSort(value.normalized));
      return;
    case "date": {
      const shard = shardOf(id, DATE_SHARDS);
      add(`D#${type}#${parameter}#lo#s${shard}`, sortableNumber(value.start));
      add(`D#${type}#${parameter}#hi#s${shard}`, sortableNumber(value.end));
      return;
    }
    case "number":
      addRange(`N#${type}#${parameter}#*`, value.low, value.high, add);
      return;
    case "quantity":
      addRange(`N#${type}#${parameter}#*`, value.low, value.high, add);
      if (value.code !== undefined) addRange(`N#${type}#${parameter}#${unitPart(value.system, value.code)}`, value.low, value.high, add);
      if (value.canonical !== undefined) addRange(`N#${type}#${parameter}#=${escapePart(value.canonical.code)}`, value.canonical.low, value.canonical.high, add);
      return;
    case "reference":
      if (value.reference !== undefined) add(boundKey(`R#${type}#${parameter}#`, escapePart(value.reference)));
      if (value.url !== undefined) add(boundKey(`R#${type}#${parameter}#U#`, escapePart(value.url)));
      if (value.identifier?.value !== undefined) {
        add(boundKey(`R#${type}#${parameter}#I#`, `${escapePart(value.identifier.system ?? "")}|${escapePart(value.identifier.value)}`));
        add(boundKey(`R#${type}#${parameter}#IC#`, escapePart(value.identifier.value)));
      }
      return;
    case "uri":
      add(boundKey(`U#${type}#${parameter}#`, escapePart(value.value)));
      add(`UP#${type}#${parameter}`, boundSort(value.value));
      return;
    case "composite": {
      const first = value.components[0]?.[0];
      if (first === undefined) return;
      const keys: string[] = [];
      addValue(type, id, `${parameter}$`, first, (key, sort) => {
        if (sort === undefined) keys.push(key);
      });
      for (const key of keys) add(`P#${key}`);
      return;
    }
  }
}

function addRange(key: string, low: number, high: number, add: (key: string, sort?: string) => void): void {
  add(`${key}#lo`, sortableNumber(low));
  add(`${key}#hi`, sortableNumber(high));
}
