/**
 * Operations on JSON text that keep every value exactly as written. `JSON.parse` turns the
 * decimal `105.00` into the number 105, and FHIR treats the trailing zeros as precision
 * (R4 datatypes.html#decimal), so Flint stores and returns resource text, not re-serialised
 * objects. Every function here expects text that `JSON.parse` has already accepted.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Returns the index just past the string that starts at `start` (an opening quote). */
export function skipString(text: string, start: number): number {
  let index = start + 1;
  for (;;) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) return index + 1;
    index += code === BACKSLASH ? 2 : 1;
  }
}

/** Returns the index just past the value that starts at `start`. */
export function skipValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return skipString(text, start);
  if (first !== 0x7b && first !== 0x5b) {
    let index = start;
    while (index < text.length && !isSpace(text.charCodeAt(index)) && !",]}".includes(text[index]!)) index++;
    return index;
  }

  let depth = 0;
  let index = start;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = skipString(text, index);
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

/** Removes whitespace outside strings. */
export function minifyJson(text: string): string {
  let output = "";
  let runStart = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      index = skipString(text, index);
      continue;
    }
    if (isSpace(code)) {
      output += text.slice(runStart, index);
      while (index < text.length && isSpace(text.charCodeAt(index))) index++;
      runStart = index;
      continue;
    }
    index++;
  }
  return runStart === 0 ? text : output + text.slice(runStart);
}

/** Indents minified JSON text by `indent` spaces per level, as `JSON.stringify(value, null, 2)` would. */
export function prettyJson(text: string, indent = 2): string {
  const parts: string[] = [];
  let depth = 0;
  let index = 0;
  const newline = () => `\n${" ".repeat(depth * indent)}`;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '"') {
      const end = skipString(text, index);
      parts.push(text.slice(index, end));
      index = end;
      continue;
    }
    if (char === "{" || char === "[") {
      const close = char === "{" ? "}" : "]";
      if (text[index + 1] === close) {
        parts.push(char + close);
        index += 2;
        continue;
      }
      depth++;
      parts.push(char + newline());
    } else if (char === "}" || char === "]") {
      depth--;
      parts.push(newline() + char);
    } else if (char === ",") {
      parts.push("," + newline());
    } else if (char === ":") {
      parts.push(": ");
    } else {
      parts.push(char);
    }
    index++;
  }
  return parts.join("");
}

/** One member of a JSON object: its key and the raw text of its value. */
interface Member {
  key: string;
  value: string;
}

/** Splits the top level of minified object text into its members. */
export function objectMembers(text: string): Member[] {
  const members: Member[] = [];
  let index = 1;
  while (text[index] === '"') {
    const keyEnd = skipString(text, index);
    const key = JSON.parse(text.slice(index, keyEnd)) as string;
    const valueStart = keyEnd + 1;
    const valueEnd = skipValue(text, valueStart);
    members.push({ key, value: text.slice(valueStart, valueEnd) });
    index = valueEnd + 1;
  }
  return members;
}

/**
 * Sets the `id` and `meta` of a resource given as minified JSON text, leaving every other
 * member byte for byte as it was. `resourceType`, `id` and `meta` come first; the other
 * members keep their order. Later duplicates of a key are dropped, as `JSON.parse` would.
 */
export function setIdAndMeta(text: string, id: string, meta: unknown): string {
  const members = objectMembers(text);
  const seen = new Map<string, string>();
  for (const member of members) seen.set(member.key, member.value);

  let output = `{"resourceType":${seen.get("resourceType") ?? "null"},"id":${JSON.stringify(id)},"meta":${JSON.stringify(meta)}`;
  const written = new Set(["resourceType", "id", "meta"]);
  for (const member of members) {
    if (written.has(member.key)) continue;
    written.add(member.key);
    output += `,${JSON.stringify(member.key)}:${seen.get(member.key)}`;
  }
  return `${output}}`;
}

/**
 * Serialises a value in which some places hold already-serialised JSON text: each `RawJson`
 * is written as its text, unchanged.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

export function stringifyWithRaw(value: unknown): string {
  const nonce = `\u0000raw-${crypto.randomUUID()}-`;
  const raws: string[] = [];
  const serialised = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawJson) {
      raws.push(item.text);
      return `${nonce}${raws.length - 1}`;
    }
    return item;
  });
  if (raws.length === 0) return serialised;

  const marker = JSON.stringify(nonce).slice(0, -1);
  return serialised.replace(new RegExp(`${escapeRegExp(marker)}(\\d+)"`, "g"), (_match, index: string) => raws[Number(index)]!);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Returns the raw text of member `key` of minified object text, or undefined when absent. */
export function memberText(text: string, key: string): string | undefined {
  let found: string | undefined;
  for (const member of objectMembers(text)) if (member.key === key) found = member.value;
  return found;
}

/** Splits minified array text into the raw text of its elements. */
export function arrayElements(text: string): string[] {
  const elements: string[] = [];
  let index = 1;
  if (text[index] === "]") return elements;
  for (;;) {
    const end = skipValue(text, index);
    elements.push(text.slice(index, end));
    if (text[end] !== ",") return elements;
    index = end + 1;
  }
}

/**
 * Replaces string values in JSON text. `replace` receives each string value (decoded) with the
 * key of the member it belongs to (undefined inside arrays of strings keeps the array's key) and
 * returns a new value, or undefined to keep it. Keys and every other token stay unchanged.
 */
export function replaceStrings(text: string, replace: (value: string, key: string | undefined) => string | undefined): string {
  const parts: string[] = [];
  let copied = 0;
  let index = 0;
  let key: string | undefined;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code !== QUOTE) {
      index++;
      continue;
    }
    const end = skipString(text, index);
    let next = end;
    while (next < text.length && isSpace(text.charCodeAt(next))) next++;
    const raw = text.slice(index, end);
    const value = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    if (text[next] === ":") {
      key = value;
    } else {
      const replacement = replace(value, key);
      if (replacement !== undefined) {
        parts.push(text.slice(copied, index), JSON.stringify(replacement));
        copied = end;
      }
    }
    index = end;
  }
  if (copied === 0) return text;
  parts.push(text.slice(copied));
  return parts.join("");
}
