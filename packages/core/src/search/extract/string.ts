/** Values of `string` search parameters (R4 search.html#string). */
import type { IndexValue } from "../model.ts";
import type { FhirValue } from "./evaluate.ts";

/** Parts of a HumanName that `name` matches; `use` and `period` are not names. */
const HUMAN_NAME_PARTS = ["family", "given", "prefix", "suffix", "text"] as const;

/** Parts of an Address that `address` matches; `use` and `type` are codes. */
const ADDRESS_PARTS = ["line", "city", "district", "state", "postalCode", "country", "text"] as const;

/**
 * Normalizes text for string matching: NFD decomposition, combining marks removed, lower case,
 * so that `Müller` matches `muller`.
 */
export function normalizeString(text: string): string {
  return text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * Appends the string values of one item: a string-valued primitive, or each part of a HumanName
 * or Address. Other types add nothing.
 */
export function extractStrings(item: FhirValue, values: IndexValue[]): void {
  if (typeof item.value === "string") {
    pushString(item.value, values);
    return;
  }
  if (item.type === "HumanName") pushParts(item.value, HUMAN_NAME_PARTS, values);
  else if (item.type === "Address") pushParts(item.value, ADDRESS_PARTS, values);
}

function pushParts(element: unknown, parts: readonly string[], values: IndexValue[]): void {
  if (typeof element !== "object" || element === null) return;
  for (const part of parts) {
    const value = (element as Record<string, unknown>)[part];
    for (const text of Array.isArray(value) ? value : [value]) {
      if (typeof text === "string") pushString(text, values);
    }
  }
}

function pushString(text: string, values: IndexValue[]): void {
  values.push({ type: "string", exact: text, normalized: normalizeString(text) });
}
