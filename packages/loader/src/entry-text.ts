/**
 * Cuts the entries of a Bundle out of its JSON text without parsing them, so that a batch
 * re-sent in part carries each entry exactly as the file wrote it. `JSON.parse` followed by
 * `JSON.stringify` would turn the decimal `1.50` into `1.5`, and FHIR reads the written digits
 * as precision (R4 datatypes.html#decimal). Every function here expects text that
 * `JSON.parse` has already accepted.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function skipWhitespace(text: string, index: number): number {
  while (index < text.length && isWhitespace(text.charCodeAt(index))) index++;
  return index;
}

/** Returns the index just past the string whose opening quote is at `start`. */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) return index + 1;
    index += code === BACKSLASH ? 2 : 1;
  }
  return index;
}

/** Returns the index just past the JSON value that starts at `start`. */
function endOfValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return endOfString(text, start);
  if (first !== 0x7b && first !== 0x5b) {
    let index = start;
    while (index < text.length && !isWhitespace(text.charCodeAt(index)) && !",]}".includes(text.charAt(index))) index++;
    return index;
  }

  let depth = 0;
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = endOfString(text, index);
      continue;
    }
    if (code === 0x7b || code === 0x5b) depth++;
    if (code === 0x7d || code === 0x5d) {
      depth--;
      if (depth === 0) return index + 1;
    }
    index++;
  }
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
    if (bundleText.charCodeAt(index) !== QUOTE) break;

    const keyEnd = endOfString(bundleText, index);
    const key: unknown = JSON.parse(bundleText.slice(index, keyEnd));
    const valueStart = skipWhitespace(bundleText, skipWhitespace(bundleText, keyEnd) + 1);
    if (key === "entry") entryStart = valueStart;

    index = skipWhitespace(bundleText, endOfValue(bundleText, valueStart));
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
    const end = endOfValue(text, index);
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
