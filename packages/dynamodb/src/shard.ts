import { HISTORY_SHARDS } from "./entities.ts";

/** Spreads items over `HISTORY_SHARDS` partitions by a hash of the id (32-bit FNV-1a). */
export function historyShard(id: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index++) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % HISTORY_SHARDS;
}
