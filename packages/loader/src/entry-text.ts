/**
 * Cuts the entries of a Bundle out of its JSON text without parsing them, so that a batch
 * re-sent in part carries each entry exactly as the file wrote it. `JSON.parse` followed by
 * `JSON.stringify` would turn the decimal `1.50` into `1.5`, and FHIR reads the written digits
 * as precision (R4 datatypes.html#decimal). Every function here expects text that
 * `JSON.parse` has already accepted.
 */
import { skipString, skipValue } from "@flint/core/json";

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipWhitespace(text: string, index: number): number {
  while (index < text.length && isWhitespace(text.charCodeAt(index))) index++;
  return index;
}

/**
 * Returns the text of each element of the top-level `entry` array of a Bundle, as written.
 * Returns an empty list when the Bundle has no `entry` array. When a key repeats, the last one
 * wins, as in `JSON.parse`.
 */
export function sliceEntryTexts(bundleText: string): string[] {
  let entryStart = -1;
  let index = skipWhitespace(bundleText, 0) + 1;

  for (;;) {
    index = skipWhitespace(bundleText, index);
    if (bundleText[index] !== "\"") break;

    const keyEnd = skipString(bundleText, index);
    const key: unknown = JSON.parse(bundleText.slice(index, keyEnd));
    const valueStart = skipWhitespace(bundleText, skipWhitespace(bundleText, keyEnd) + 1);
    if (key === "entry") entryStart = valueStart;

    index = skipWhitespace(bundleText, skipValue(bundleText, valueStart));
    if (bundleText.charAt(index) !== ",") break;
    index++;
  }

  if (entryStart < 0 || bundleText.charAt(entryStart) !== "[") return [];
  return sliceArrayElements(bundleText, entryStart);
}

function sliceArrayElements(text: string, arrayStart: number): string[] {
  const elements: string[] = [];
  let index = skipWhitespace(text, arrayStart + 1);
  if (text.charAt(index) === "]") return elements;

  for (;;) {
    const end = skipValue(text, index);
    elements.push(text.slice(index, end));

    index = skipWhitespace(text, end);
    if (text.charAt(index) !== ",") return elements;
    index = skipWhitespace(text, index + 1);
  }
}

/** Builds the text of a batch Bundle from entry texts, which are copied unchanged. */
export function formatBatch(entryTexts: readonly string[]): string {
  return `{"resourceType":"Bundle","type":"batch","entry":[${entryTexts.join(",")}]}`;
}
