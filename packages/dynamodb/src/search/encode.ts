import { createHash } from "node:crypto";

/** Keys longer than this are replaced by a hash, well under DynamoDB's 2,048-byte partition key limit. */
const MAX_KEY_LENGTH = 512;

/** Maximum length of a string sort value. Longer values are cut, which is safe because search verifies every candidate. */
const MAX_SORT_LENGTH = 256;

/** Escapes `#`, `|` and `%` so that key parts split in one place only. */
export function escapePart(value: string): string {
  return value.replace(/%/g, "%25").replace(/#/g, "%23").replace(/\|/g, "%7C");
}

/** Keeps a key within DynamoDB's limits by hashing its value part when it is long. */
export function boundKey(prefix: string, value: string): string {
  const key = `${prefix}${value}`;
  if (key.length <= MAX_KEY_LENGTH) return key;
  return `${prefix}h:${createHash("sha256").update(value).digest("base64url")}`;
}

/** Cuts a string sort value to the stored length. */
export function boundSort(value: string): string {
  return value.length <= MAX_SORT_LENGTH ? value : value.slice(0, MAX_SORT_LENGTH);
}

/** Spreads hot values over partitions by a hash of the id (32-bit FNV-1a). */
export function shardOf(id: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index++) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
