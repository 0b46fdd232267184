import { createHash } from "node:crypto";

/** Keys longer than this are replaced by a hash, well under DynamoDB's 2,048-byte partition key limit. */
const MAX_KEY_LENGTH = 512;

/** Longest sort prefix kept for a string value; longer values are cut, and search verifies them anyway. */
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

/**
 * Encodes a number so that the strings sort in numeric order: the IEEE 754 bits, with the sign
 * bit flipped for positive numbers and all bits flipped for negative ones, as 16 hex digits.
 */
export function sortableNumber(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  let high = view.getUint32(0);
  let low = view.getUint32(4);
  if (high & 0x80000000) {
    high = ~high >>> 0;
    low = ~low >>> 0;
  } else {
    high = (high | 0x80000000) >>> 0;
  }
  return high.toString(16).padStart(8, "0") + low.toString(16).padStart(8, "0");
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
