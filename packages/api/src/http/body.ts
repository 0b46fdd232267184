import { FhirError } from "@flint/core";
import { findJsonProblem, type JsonProblem } from "./json-error.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a request body up to `limit` bytes and decodes it as strict UTF-8 (RFC 8259 section 8.1
 * requires UTF-8 for JSON). Raises `too-large` (413) past the limit and `invalid` (400) naming
 * the offset of the first byte that is not UTF-8.
 */
export async function readBody(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);

  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        throw tooLarge(limit);
      }
      chunks.push(value);
    }
  }

  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    const offset = invalidUtf8Offset(bytes);
    throw new FhirError("invalid", `The request body is not valid UTF-8: the sequence at byte offset ${offset} (counting from 0) is not a UTF-8 character; send the body in UTF-8.`);
  }
}

/**
 * Returns the offset of the first byte that does not start a well-formed UTF-8 sequence
 * (RFC 3629 section 4: no overlong forms, no surrogates, nothing above U+10FFFF).
 * Called only after `TextDecoder` rejected the bytes, so it returns the length when it finds none.
 */
function invalidUtf8Offset(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const length = utf8SequenceLength(bytes, index);
    if (length === 0) return index;
    index += length;
  }
  return bytes.length;
}

/** Returns the length of the well-formed UTF-8 sequence at `index`, or 0 when it is malformed. */
function utf8SequenceLength(bytes: Uint8Array, index: number): number {
  const first = bytes[index]!;
  if (first < 0x80) return 1;
  // Allowed range of the second byte per lead byte, from the table in RFC 3629 section 4.
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) length = 2;
  else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    if (first === 0xe0) low = 0xa0;
    if (first === 0xed) high = 0x9f;
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    if (first === 0xf0) low = 0x90;
    if (first === 0xf4) high = 0x8f;
  } else return 0;
  if (index + length > bytes.length) return 0;
  const second = bytes[index + 1]!;
  if (second < low || second > high) return 0;
  for (let next = index + 2; next < index + length; next++) {
    if (bytes[next]! < 0x80 || bytes[next]! > 0xbf) return 0;
  }
  return length;
}

function tooLarge(limit: number): FhirError {
  return new FhirError("too-large", `The request body exceeds the limit of ${limit} bytes.`);
}

/**
 * Parses a JSON request body. Syntax errors, repeated keys, unpaired surrogate escapes and
 * excessive nesting (see `findJsonProblem`) raise `structure` (400) with the line and column,
 * and with the element path as the issue's expression, rooted at `root` (the resource type the
 * URL names, or `Bundle`).
 */
export function parseJson(text: string, root: string): unknown {
  if (text.trim() === "") throw new FhirError("invalid", "The request body is empty; send a FHIR resource in JSON.");
  const problem = findJsonProblem(text);
  if (problem !== undefined) throw jsonError(text, problem, root);
  return JSON.parse(text);
}

function jsonError(text: string, problem: JsonProblem, root: string): FhirError {
  const place = lineAndColumn(text, problem.offset);
  const expression = formatPath(root, problem.path);
  let diagnostics: string;
  if (problem.duplicateKey !== undefined) {
    diagnostics = `The request body is not valid FHIR JSON: the key "${problem.duplicateKey.slice(0, 64)}" appears more than once in the same object at ${place}; send each element once.`;
  } else if (problem.unpairedSurrogate === true) {
    diagnostics = `The request body is not valid FHIR JSON: expected ${problem.expected} at ${place}.`;
  } else {
    diagnostics = `The request body is not valid JSON: expected ${problem.expected} at ${place}.`;
  }
  return new FhirError("structure", problem.path.length === 0 ? { diagnostics } : { diagnostics, expression });
}

/** Formats a JSON path as a FHIRPath-like expression such as `Patient.name[1].family`. */
function formatPath(root: string, path: readonly (string | number)[]): string {
  let expression = root;
  for (const segment of path) {
    expression += typeof segment === "number" ? `[${segment}]` : `.${segment.length > 64 ? `${segment.slice(0, 64)}...` : segment}`;
  }
  return expression;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}
