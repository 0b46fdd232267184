import type { IndexValue } from "@flint/core";
import { boundKey, boundSort, encodeOrdered, escapePart, shardOf } from "./encode.ts";

/**
 * Index items of the search engine. Each item lives in partition `I#{key}`. Equality items
 * have the resource id as sort key, so a partition lists its resources in id order. Range
 * items have `{sort}#{id}`, so a key condition on the sort key selects a range of values. The
 * key names the family, type and parameter:
 *
 * | family | key | sort | serves |
 * | --- | --- | --- | --- |
 * | token | `T#{type}#{param}#S#{system}\|{code}`, `#C#{code}`, `#Y#{system}` | id | token forms |
 * | string | `S#{type}#{param}#{first char}` | normalized value | default prefix and `:exact` |
 * | reference | `R#{type}#{param}#{Type/id}`, `#U#{url}` | id | reference by `Type/id` or URL |
 * | uri | `U#{type}#{param}#{value}` | id | exact uri |
 * | date start | `D#{type}#{param}#` | start of the range | every date prefix but `ne` |
 * | date end | `E#{type}#{param}#` | end of the range | ranges wider than a day, for `gt`, `ge` and `ap` |
 * | number | `N#{type}#{param}#` | value | every number prefix but `ne` |
 * | quantity | `Q#{type}#{param}#C#{canonical code}#`, `#S#{system}\|{code}#` | canonical or stated value | quantities with a unit |
 *
 * Hot values must not fill one partition: a frequent code such as `status=final`, a profile
 * that every resource claims, an organization that most resources reference, or dates near
 * today. So every key carries a shard, chosen by a hash of the resource id: `#s{n}` after
 * equality keys and `{n}` after ranged ones. Only `identifier` keys are not sharded, because
 * their values are nearly unique. A query reads every shard of a key.
 */
export interface IndexItem {
  key: string;
  sort?: string;
}

/** Shards of every index key except those of `identifier`. */
export const INDEX_SHARDS = 8;

/** Widest date range that gets no end item: a day, the precision of a plain date. */
export const NARROW_DATE_MS = 86_400_000;

/** Reports whether a parameter's equality keys are sharded; identifiers are nearly unique and are not. */
export function keySharded(parameter: string): boolean {
  return parameter !== "identifier";
}

/** Adds the shard suffix to an equality key; `shard` is undefined for unsharded parameters. */
export function inShard(key: string, shard: number | undefined): string {
  return shard === undefined ? key : `${key}#s${shard}`;
}

/** Equality keys of one token value, in the shard `shard` (undefined for unsharded parameters). */
export function tokenKeys(type: string, parameter: string, system: string | undefined, code: string | undefined, shard: number | undefined): string[] {
  const base = `T#${type}#${parameter}#`;
  const keys: string[] = [];
  if (code !== undefined) {
    keys.push(boundKey(`${base}C#`, escapePart(code)));
    keys.push(boundKey(`${base}S#`, `${escapePart(system ?? "")}|${escapePart(code)}`));
  }
  if (system !== undefined && system !== "") keys.push(boundKey(`${base}Y#`, escapePart(system)));
  return keys.map((key) => inShard(key, shard));
}

/** Equality key of a reference by `Type/id`, or by absolute URL when `url` is set. */
export function referenceKey(type: string, parameter: string, reference: { local: string } | { url: string }): string {
  return "local" in reference ? boundKey(`R#${type}#${parameter}#`, escapePart(reference.local)) : boundKey(`R#${type}#${parameter}#U#`, escapePart(reference.url));
}

/** Equality key of an exact uri. */
export function uriKey(type: string, parameter: string, value: string): string {
  return boundKey(`U#${type}#${parameter}#`, escapePart(value));
}

/** Partition of the string items that start with the first character of `normalized`. */
export function stringKey(type: string, parameter: string, normalized: string): string {
  return `S#${type}#${parameter}#${stringBucket(normalized)}#`;
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
  const keyShard = keySharded(parameter) ? shard : undefined;
  switch (value.type) {
    case "token":
      for (const key of tokenKeys(type, parameter, value.system, value.code, keyShard)) add(key);
      return;
    case "string":
      if (value.normalized !== "") add(`${stringKey(type, parameter, value.normalized)}${shard}`, boundSort(value.normalized));
      return;
    case "reference":
      if (value.reference !== undefined) add(inShard(referenceKey(type, parameter, { local: value.reference }), keyShard));
      if (value.url !== undefined) add(inShard(referenceKey(type, parameter, { url: value.url }), keyShard));
      return;
    case "uri":
      add(inShard(uriKey(type, parameter, value.value), keyShard));
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
    // NOTE: token text, reference identifiers and composites get no index items. Clauses on
    // them are checked on the candidates that other clauses or the type listing propose.
    case "composite":
      return;
  }
}
