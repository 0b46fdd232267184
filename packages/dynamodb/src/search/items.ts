import type { IndexValue } from "@flint/core";
import { boundKey, boundSort, escapePart, shardOf } from "./encode.ts";

/**
 * Index items of the full search engine. Each item lives in partition `I#{key}`. Equality items
 * have the resource id as sort key; range items have `{sort}#{id}`, so a key condition on the
 * sort key selects a range of values. The key names the family, type and parameter:
 *
 * | family | key | sort | serves |
 * | --- | --- | --- | --- |
 * | token | `T#{type}#{param}#S#{system}\|{code}`, `#C#{code}`, `#Y#{system}` | id | token forms |
 * | string | `S#{type}#{param}#{first char}` | normalized value | default prefix and `:exact` |
 * | reference | `R#{type}#{param}#{Type/id}`, `#U#{url}` | id | reference by `Type/id` or URL |
 * | uri | `U#{type}#{param}#{value}` | id | exact uri |
 *
 * Tokens without a system (codes and booleans such as gender or status) are spread over
 * shards by id, so that a frequent value does not fill one partition.
 */
export interface IndexItem {
  key: string;
  sort?: string;
}

/** Shards of token values without a system, such as `gender=female`. */
export const TOKEN_SHARDS = 8;

/** Equality keys of one token value; `shard` is set for tokens without a system. */
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
      return;
    }
    case "string":
      if (value.normalized !== "") add(`S#${type}#${parameter}#${stringBucket(value.normalized)}`, boundSort(value.normalized));
      return;
    case "reference":
      if (value.reference !== undefined) add(boundKey(`R#${type}#${parameter}#`, escapePart(value.reference)));
      if (value.url !== undefined) add(boundKey(`R#${type}#${parameter}#U#`, escapePart(value.url)));
      return;
    case "uri":
      add(boundKey(`U#${type}#${parameter}#`, escapePart(value.value)));
      return;
    // NOTE: dates, numbers, quantities, token text, reference identifiers and composites get no
    // index items until the planner reads them; searches on them scan the type and verify.
    case "date":
    case "number":
    case "quantity":
    case "composite":
      return;
  }
}
