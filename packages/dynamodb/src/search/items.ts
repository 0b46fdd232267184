import type { IndexValue } from "@flint/core";
import { boundKey, boundSort, encodeOrdered, escapePart, shardOf } from "./encode.ts";

/**
 * Index items of the search engine. Each item lives in partition `I#{key}`. Equality items
 * have the resource id as sort key, so a partition lists its resources in id order; range
 * items have `{sort}#{id}`, so a key condition on the sort key selects a range of values. The
 * key names the family, type and parameter:
 *
 * | family | key | sort | serves |
 * | --- | --- | --- | --- |
 * | token | `T#{type}#{param}#S#{system}\|{code}`, `#C#{code}`, `#Y#{system}` | id | token forms |
 * | string | `S#{type}#{param}#{first char}` | normalized value | default prefix and `:exact` |
 * | reference | `R#{type}#{param}#{Type/id}`, `#U#{url}` | id | reference by `Type/id` or URL |
 * | uri | `U#{type}#{param}#{value}` | id | exact uri |
 * | date start | `D#{type}#{param}#{shard}` | start of the range | every date prefix but `ne` |
 * | date end | `E#{type}#{param}#{shard}` | end of the range | ranges wider than a day, for `gt`, `ge` and `ap` |
 * | number | `N#{type}#{param}#{shard}` | value | every number prefix but `ne` |
 * | quantity | `Q#{type}#{param}#C#{canonical code}#{shard}`, `#S#{system}\|{code}#{shard}` | canonical or stated value | quantities with a unit |
 *
 * Hot values must not fill one partition: token keys (codes, booleans, coded categories with
 * or without a system) carry a shard suffix `#s{n}` chosen by a hash of the resource id, except
 * for `identifier`, whose values are nearly unique. Range families are sharded the same way,
 * so that values written now, which are all near the present, spread over partitions.
 */
export interface IndexItem {
  key: string;
  sort?: string;
}

/** Shards of token values and of range families. */
export const INDEX_SHARDS = 8;

/** Widest date range that gets no end item: a day, the precision of a plain date. */
export const NARROW_DATE_MS = 86_400_000;

/** Reports whether a token parameter's keys are sharded; identifiers are nearly unique and are not. */
export function tokenSharded(parameter: string): boolean {
  return parameter !== "identifier";
}

/** Equality keys of one token value, in the shard `shard` (undefined for unsharded parameters). */
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

/** Partition prefix of a ranged family; the shard number follows. */
export function rangeKey(family: "D" | "E" | "N", type: string, parameter: string): string {
  return `${family}#${type}#${parameter}#`;
}

/** Partition prefix of quantities in one unit: a canonical UCUM code (`C`) or a stated `system|code` (`S`). */
export function quantityKey(type: string, parameter: string, unit: { canonical: string } | { system: string; code: string }): string {
  const part = "canonical" in unit ? `C#${escapePart(unit.canonical)}` : `S#${escapePart(unit.system)}|${escapePart(unit.code)}`;
  return boundKey(`Q#${type}#${parameter}#`, part) + "#";
}

/** Builds every index item of a resource from its extracted search values. */
export function searchIndexItems(type: string, id: string, values: ReadonlyMap<string, readonly IndexValue[]>): IndexItem[] {
  const items = new Map<string, IndexItem>();
  const add = (key: string, sort?: string) => {
    const item: IndexItem = sort === undefined ? { key } : { key, sort };
    items.set(sort === undefined ? key : `${key}\u0001${sort}`, item);
  };

  const shard = shardOf(id, INDEX_SHARDS);
  for (const [parameter, list] of values) {
    if (parameter === "_id") continue;
    for (const value of list) addValue(type, parameter, value, shard, add);
  }
  return [...items.values()];
}

function addValue(type: string, parameter: string, value: IndexValue, shard: number, add: (key: string, sort?: string) => void): void {
  switch (value.type) {
    case "token":
      for (const key of tokenKeys(type, parameter, value.system, value.code, tokenSharded(parameter) ? shard : undefined)) add(key);
      return;
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
    case "date":
      add(`${rangeKey("D", type, parameter)}${shard}`, encodeOrdered(value.start));
      if (value.end - value.start > NARROW_DATE_MS) add(`${rangeKey("E", type, parameter)}${shard}`, encodeOrdered(value.end));
      return;
    case "number":
      add(`${rangeKey("N", type, parameter)}${shard}`, encodeOrdered(value.value));
      return;
    case "quantity":
      if (value.canonical !== undefined) {
        add(`${quantityKey(type, parameter, { canonical: value.canonical.code })}${shard}`, encodeOrdered(value.canonical.value));
      } else if (value.code !== undefined) {
        add(`${quantityKey(type, parameter, { system: value.system ?? "", code: value.code })}${shard}`, encodeOrdered(value.value));
      }
      return;
    // NOTE: token text, reference identifiers and composites get no index items; clauses on
    // them are checked on candidates that other clauses or the type listing propose.
    case "composite":
      return;
  }
}
