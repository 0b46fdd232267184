import { FhirError } from "@flint/core";

/** Formats a version id as a weak ETag (R4 http.html#versioning). */
export function formatETag(versionId: number): string {
  return `W/"${versionId}"`;
}

/**
 * Parses the version id from an ETag such as `W/"3"` or `"3"`. Raises `invalid` for any other
 * text, because guessing could let a write through that the client meant to guard.
 */
export function parseETag(value: string, header: string): number {
  const match = /^\s*(?:W\/)?"(\d{1,10})"\s*$/.exec(value);
  if (match === null) {
    throw new FhirError("invalid", `${header} "${value.slice(0, 64)}" is not a version ETag such as W/"3".`);
  }
  return Number(match[1]);
}

/** Formats an ISO instant as an HTTP date for `Last-Modified`. */
export function formatHttpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

/**
 * Decides whether a read returns 304 Not Modified (RFC 9110 section 13.1.2 and 13.1.3):
 * `If-None-Match` wins over `If-Modified-Since` when both are sent.
 */
export function isNotModified(
  headers: { ifNoneMatch?: string | undefined; ifModifiedSince?: string | undefined },
  versionId: number,
  lastUpdated: string,
): boolean {
  if (headers.ifNoneMatch !== undefined) {
    return headers.ifNoneMatch.split(",").some((tag) => tag.trim() === "*" || etagVersion(tag) === versionId);
  }
  if (headers.ifModifiedSince !== undefined) {
    const since = Date.parse(headers.ifModifiedSince);
    if (Number.isNaN(since)) return false;
    return Math.floor(Date.parse(lastUpdated) / 1000) * 1000 <= since;
  }
  return false;
}

function etagVersion(tag: string): number | undefined {
  const match = /^\s*(?:W\/)?"(\d{1,10})"\s*$/.exec(tag);
  return match === null ? undefined : Number(match[1]);
}
