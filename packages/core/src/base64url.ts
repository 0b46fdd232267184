/**
 * Base64url (RFC 4648 section 5, unpadded) over the Web-standard `btoa`, `atob`, `TextEncoder`
 * and `TextDecoder`. Paging cursors use it, so they need no Node `Buffer` on Deno or Bun. The
 * output equals Node's `Buffer.from(text).toString("base64url")`.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Characters of an unpadded base64url string. */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Encodes the UTF-8 bytes of `text` as unpadded base64url. */
export function encodeBase64Url(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decodes unpadded base64url into text.
 *
 * @throws TypeError when `token` is not unpadded base64url or its bytes are not valid UTF-8.
 */
export function decodeBase64Url(token: string): string {
  if (!BASE64URL.test(token) || token.length % 4 === 1) throw new TypeError("The value is not base64url.");

  const binary = atob(token.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (character) => character.charCodeAt(0));
  return decoder.decode(bytes);
}
