/** Reference search values (R4 search.html#reference). */
import type { QueryValue } from "../model.ts";
import { invalidValue, notSupported, echo } from "./errors.ts";
import { splitUnescaped, unescapeValue } from "./escape.ts";

type ReferenceValue = QueryValue & { type: "reference" };

const RESOURCE_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const TYPE_AND_ID = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/;
const TYPE_ID_AND_VERSION = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}\/_history\/[A-Za-z0-9\-.]{1,64}$/;
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:/;

export interface ReferenceOptions {
  /** Type named by a `:[type]` modifier. A bare id then matches only references to that type. */
  typeModifier?: string;
  /** Base URL of this server without a trailing slash. */
  baseUrl?: string;
}

/**
 * Parses one alternative of a reference parameter: `Type/id`, `id` (a reference to any type, or
 * to the `:[type]` modifier's type), an absolute URL, or a canonical `url|version`. An absolute
 * URL under `baseUrl` is read as the local `Type/id` it names, because extraction stores
 * references to this server in that form.
 *
 * Hint: version-specific references (`Type/id/_history/version`) are not supported.
 */
export function parseReferenceValue(text: string, parameter: string, options: ReferenceOptions): ReferenceValue {
  const parts = splitUnescaped(text, "|");
  if (parts.length > 2) throw invalidValue(parameter, text, "a reference has at most one unescaped |, before a canonical version");
  const target = unescapeValue(parts[0] ?? "", parameter);
  const version = parts[1] === undefined ? undefined : unescapeValue(parts[1], parameter);

  if (version !== undefined) {
    if (!ABSOLUTE.test(target) || version === "") throw invalidValue(parameter, text, "a versioned canonical reference has the form url|version");
    return withType({ type: "reference", url: target, version }, options.typeModifier);
  }
  if (ABSOLUTE.test(target)) {
    const local = stripBaseUrl(target, options.baseUrl);
    if (local === undefined) return withType({ type: "reference", url: target }, options.typeModifier);
    return parseLocalReference(local, text, parameter, options.typeModifier);
  }
  return parseLocalReference(target, text, parameter, options.typeModifier);
}

/** Parses a `:identifier` value, `system|value` in the token forms, into a reference-identifier. */
export function parseReferenceIdentifier(text: string, parameter: string): QueryValue & { type: "reference-identifier" } {
  const parts = splitUnescaped(text, "|");
  if (parts.length > 2) throw invalidValue(parameter, text, "an identifier has at most one unescaped |, between system and value");

  if (parts.length === 1) return { type: "reference-identifier", value: unescapeValue(text, parameter) };
  const system = unescapeValue(parts[0] ?? "", parameter);
  const value = unescapeValue(parts[1] ?? "", parameter);
  if (system === "" && value === "") throw invalidValue(parameter, text, "an identifier needs a system, a value or both");
  return value === "" ? { type: "reference-identifier", system } : { type: "reference-identifier", system, value };
}

function parseLocalReference(local: string, text: string, parameter: string, typeModifier: string | undefined): ReferenceValue {
  const typed = TYPE_AND_ID.exec(local);
  if (typed !== null) {
    const [, resourceType = "", id = ""] = typed;
    if (typeModifier !== undefined && typeModifier !== resourceType) {
      throw invalidValue(parameter, text, `the reference names ${resourceType} but the modifier names ${typeModifier}`);
    }
    return { type: "reference", resourceType, id };
  }
  if (TYPE_ID_AND_VERSION.test(local)) {
    throw notSupported(`Search parameter "${echo(parameter)}": version-specific references such as "${echo(local)}" are not supported.`);
  }
  if (RESOURCE_ID.test(local)) return withType({ type: "reference", id: local }, typeModifier);
  throw invalidValue(parameter, text, "expected Type/id, an id, an absolute URL or url|version");
}

function stripBaseUrl(url: string, baseUrl: string | undefined): string | undefined {
  if (baseUrl === undefined) return undefined;
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  return url.startsWith(base) ? url.slice(base.length) : undefined;
}

function withType(value: ReferenceValue, resourceType: string | undefined): ReferenceValue {
  return resourceType === undefined ? value : { ...value, resourceType };
}
