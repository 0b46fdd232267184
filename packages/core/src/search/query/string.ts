/** String search values (R4 search.html#string). */
import type { QueryValue } from "../model.ts";

const COMBINING_MARKS = /\p{M}/gu;

/**
 * Normalizes text for case- and accent-insensitive string search: NFD decomposition, combining
 * marks removed, lower case. `KÖHLER` and `Köhler` both become `kohler`. Extraction must store
 * `normalized` values made by the same steps, or default, `:contains` and `:text` searches miss.
 */
export function normalizeString(text: string): string {
  return text.normalize("NFD").replace(COMBINING_MARKS, "").toLowerCase();
}

/** Parses one alternative of a string parameter, already unescaped. */
export function parseStringValue(text: string): QueryValue & { type: "string" } {
  return { type: "string", value: text, normalized: normalizeString(text) };
}
