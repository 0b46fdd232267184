import { decodeBase64Url, encodeBase64Url, FhirError } from "@flint/core";

/** A position in the (type, id) order of unsorted results. */
export interface Place {
  type: string;
  id: string;
}

/**
 * Position of a page: after or before a place (`inclusive` of it or not) in unsorted results,
 * or an offset in sorted ones. The tokens have the same form as the DynamoDB store's.
 */
export type SearchCursor = { after: Place; inclusive?: boolean } | { before: Place; inclusive?: boolean } | { offset: number };

/** Encodes a position as an opaque, versioned base64url token. */
export function formatSearchCursor(cursor: SearchCursor): string {
  let value: Record<string, unknown>;
  if ("offset" in cursor) value = { v: 2, o: cursor.offset };
  else if ("after" in cursor) value = { v: 2, d: "a", t: cursor.after.type, k: cursor.after.id };
  else value = { v: 2, d: "b", t: cursor.before.type, k: cursor.before.id };
  if (!("offset" in cursor) && cursor.inclusive === true) value.i = 1;
  return encodeBase64Url(JSON.stringify(value));
}

export function parseSearchCursor(token: string): SearchCursor {
  try {
    const value = JSON.parse(decodeBase64Url(token)) as { v?: unknown; o?: unknown; d?: unknown; t?: unknown; k?: unknown; i?: unknown };
    if (value.v === 2 && typeof value.o === "number" && Number.isSafeInteger(value.o) && value.o >= 0) return { offset: value.o };
    if (value.v === 2 && typeof value.t === "string" && typeof value.k === "string") {
      const place = { type: value.t, id: value.k };
      const inclusive = value.i === 1;
      if (value.d === "a") return inclusive ? { after: place, inclusive } : { after: place };
      if (value.d === "b") return inclusive ? { before: place, inclusive } : { before: place };
    }
  } catch {
    // Falls through to the error below.
  }
  throw invalidSearchCursor();
}

export function invalidSearchCursor(): FhirError {
  return new FhirError("invalid", "The search paging cursor is invalid; start again from the first page.");
}
