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

/**
 * Encodes a number as 16 hex digits whose string order is the numeric order: the IEEE 754
 * bits with the sign bit flipped for positive numbers and every bit flipped for negative ones.
 */
export function encodeOrdered(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const negative = high >>> 31 === 1;
  const flippedHigh = negative ? ~high >>> 0 : (high | 0x80000000) >>> 0;
  const flippedLow = negative ? ~low >>> 0 : low;
  return flippedHigh.toString(16).padStart(8, "0") + flippedLow.toString(16).padStart(8, "0");
}
