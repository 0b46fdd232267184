import { gunzipSync, gzipSync } from "node:zlib";

/**
 * Largest compressed body kept inside the `CUR` and version items. DynamoDB items are limited
 * to 400 KB including keys and other attributes, so larger bodies are split into slices.
 */
export const INLINE_BODY_BYTES = 300 * 1024;

/** Size of each slice of a body too large to inline. */
export const BODY_PART_BYTES = 350 * 1024;

/** Compresses resource JSON text for storage. */
export function encodeBody(json: string): Uint8Array {
  return gzipSync(json, { level: 1 });
}

export function decodeBody(compressed: Uint8Array): string {
  return gunzipSync(compressed).toString("utf8");
}

/** Splits an encoded body into slices of at most `BODY_PART_BYTES`. */
export function splitBody(compressed: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < compressed.byteLength; offset += BODY_PART_BYTES) {
    parts.push(compressed.subarray(offset, offset + BODY_PART_BYTES));
  }
  return parts;
}

export function joinBody(parts: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
