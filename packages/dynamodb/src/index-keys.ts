import type { Resource } from "fhir/r4";
import { extractSearchValues } from "@flint/core";
import { asDelete, asPut, type TransactItem } from "./actions.ts";
import { INDEX_SHARDS, keySharded, searchIndexItems, tokenKeys } from "./search/items.ts";
import { historyShard } from "./shard.ts";
import type { Store } from "./store.ts";

/**
 * Index manifest entries name the index items a version owns: an equality item as its key, a
 * range item as `{key}\u0001{sort}`. `search/items.ts` describes the keys. Every resource also
 * has `{type}#_all#{shard}`, which lists all resources of a type in 16 partitions for searches
 * that no index serves.
 */
const RANGE_SEPARATOR = "\u0001";

/** Key of the partition listing all resources of a type in one shard. */
export function typeKey(resourceType: string, shard: number): string {
  return `${resourceType}#_all#${shard}`;
}

/** Computes the sorted, distinct index manifest of a resource version from its search values. */
export function indexKeys(resource: Resource & { id: string }): string[] {
  const entries = new Set<string>([typeKey(resource.resourceType, historyShard(resource.id))]);
  for (const item of searchIndexItems(resource.resourceType, resource.id, extractSearchValues(resource))) {
    entries.add(item.sort === undefined ? item.key : `${item.key}${RANGE_SEPARATOR}${item.sort}`);
  }
  return [...entries].sort();
}

/** Writes or deletes the index item that a manifest entry names, for resource `id`. */
export function indexItemWrite(store: Store, entry: string, id: string, kind: "put" | "delete"): TransactItem {
  const separator = entry.indexOf(RANGE_SEPARATOR);
  const entities = store.service.entities;
  if (separator < 0) {
    return kind === "put" ? asPut(entities.indexEntry.put({ key: entry, id }).params()) : asDelete(entities.indexEntry.delete({ key: entry, id }).params());
  }
  const key = entry.slice(0, separator);
  const sort = entry.slice(separator + 1);
  return kind === "put" ? asPut(entities.rangeEntry.put({ key, sort, id }).params()) : asDelete(entities.rangeEntry.delete({ key, sort, id }).params());
}

/** Turns a stored index item back into its manifest entry, for the table checker. */
export function manifestEntry(item: { pk: string; sk: string; sort?: unknown }): { entry: string; id: string } {
  const key = item.pk.slice(2);
  if (typeof item.sort !== "string") return { entry: key, id: item.sk };
  return { entry: `${key}${RANGE_SEPARATOR}${item.sort}`, id: item.sk.slice(item.sort.length + 1) };
}

/**
 * Index keys that a token query value reads (R4 search.html#token): those of every shard, for
 * parameters whose keys are sharded.
 */
export function tokenQueryKeys(resourceType: string, parameter: string, value: { system?: string; code?: string }): string[] {
  let marker = "S";
  if (value.system === undefined) marker = "C";
  else if (value.code === undefined) marker = "Y";
  const shards = keySharded(parameter) ? Array.from({ length: INDEX_SHARDS }, (_, shard) => shard) : [undefined];
  return shards.flatMap((shard) => tokenKeys(resourceType, parameter, value.system, value.code, shard).filter((key) => key.includes(`#${marker}#`)));
}
