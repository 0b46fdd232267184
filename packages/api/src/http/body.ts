import { FhirError } from "@flint/core";
import { locateJsonError } from "./json-error.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a request body up to `limit` bytes and decodes it as strict UTF-8.
 * Raises `too-large` (413) past the limit and `invalid` (400) for bytes that are not UTF-8.
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
    throw new FhirError("invalid", "The request body is not valid UTF-8.");
  }
}

function tooLarge(limit: number): FhirError {
  return new FhirError("too-large", `The request body exceeds the limit of ${limit} bytes.`);
}

/** Parses JSON text, reporting the line and column of a syntax error. */
export function parseJson(text: string): unknown {
  if (text.trim() === "") throw new FhirError("invalid", "The request body is empty; send a FHIR resource in JSON.");
  try {
    return JSON.parse(text);
  } catch {
    const { offset, expected } = locateJsonError(text);
    throw new FhirError("structure", `The request body is not valid JSON: expected ${expected} at ${lineAndColumn(text, offset)}.`);
  }
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return `line ${line}, column ${column}`;
}
