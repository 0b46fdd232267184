import { FhirError } from "@flint/core";

/** Media type of every response body. */
export const FHIR_JSON = "application/fhir+json";

/** Media types accepted for JSON, including the DSTU2 name that some clients still send. */
const JSON_TYPES = new Set([FHIR_JSON, "application/json", "application/json+fhir"]);

/** `_format` values that mean JSON (R4 http.html#mime-type). */
const JSON_FORMATS = new Set(["json", ...JSON_TYPES]);

/** The FHIR version this server speaks, as written in the `fhirVersion` media type parameter. */
const FHIR_VERSIONS = new Set(["4.0", "4.0.1"]);

interface MediaRange {
  type: string;
  parameters: Map<string, string>;
  quality: number;
}

function parseMediaRange(text: string): MediaRange {
  const [type = "", ...parameterTexts] = text.split(";");
  const parameters = new Map<string, string>();
  for (const parameter of parameterTexts) {
    const separator = parameter.indexOf("=");
    if (separator < 0) continue;
    const name = parameter.slice(0, separator).trim().toLowerCase();
    const value = parameter.slice(separator + 1).trim().replace(/^"|"$/g, "");
    parameters.set(name, value);
  }
  const quality = parameters.has("q") ? Number(parameters.get("q")) : 1;
  return { type: type.trim().toLowerCase(), parameters, quality: Number.isFinite(quality) ? quality : 0 };
}

function acceptsJson(range: MediaRange): boolean {
  if (range.quality <= 0) return false;
  const version = range.parameters.get("fhirversion");
  if (version !== undefined && !FHIR_VERSIONS.has(version)) return false;
  return range.type === "*/*" || range.type === "application/*" || JSON_TYPES.has(range.type);
}

/**
 * Checks that the client can take a JSON response (R4 http.html#mime-type): `_format`
 * overrides `Accept`, and either one asking only for other formats gives 406.
 */
export function negotiateResponseFormat(format: string | undefined, accept: string | undefined): void {
  if (format !== undefined) {
    if (JSON_FORMATS.has(format.trim().toLowerCase().split(";")[0]?.trim() ?? "")) return;
    throw new FhirError(
      "not-acceptable",
      `_format "${format.slice(0, 64)}" is not supported; this server returns JSON (_format=json or application/fhir+json).`,
    );
  }
  if (accept === undefined || accept.trim() === "") return;
  if (accept.split(",").some((range) => acceptsJson(parseMediaRange(range)))) return;
  throw new FhirError(
    "not-acceptable",
    `Accept "${accept.slice(0, 64)}" names no supported format; this server returns application/fhir+json for FHIR 4.0.`,
  );
}

/**
 * Checks the media type of a request body: JSON FHIR in UTF-8, or no `Content-Type` at all,
 * which is read as JSON. Anything else gives 415.
 */
export function checkRequestFormat(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === "") return;
  const range = parseMediaRange(contentType);
  const charset = range.parameters.get("charset")?.toLowerCase();
  const version = range.parameters.get("fhirversion");
  if (JSON_TYPES.has(range.type) && (charset === undefined || charset === "utf-8") && (version === undefined || FHIR_VERSIONS.has(version))) {
    return;
  }
  throw new FhirError(
    "unsupported-media-type",
    `Content-Type "${contentType.slice(0, 64)}" is not supported; send application/fhir+json in UTF-8 for FHIR 4.0.`,
  );
}
