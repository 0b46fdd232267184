import { FhirError, type Issue } from "../outcome.ts";
import type { SearchClause, SearchRequest, TokenValue } from "./request.ts";
import { hasIdentifierParameter } from "./tokens.ts";

/** Matches per page when the client sends no `_count`. */
export const DEFAULT_SEARCH_COUNT = 50;

/** Largest `_count`; larger values are lowered to it, as R4 allows (search.html#count). */
export const MAX_SEARCH_COUNT = 1_000;

/** Parameters that shape the response rather than select resources, handled by the REST layer. */
const FORMAT_PARAMETERS = new Set(["_format", "_pretty"]);

export interface ParsedSearch {
  request: SearchRequest;
  /** Parameters left out under lenient handling, each with the reason, for the Bundle's outcome. */
  ignored: Issue[];
  /** The parameters applied, as name/value pairs for the `self` link. */
  applied: Array<[string, string]>;
}

/**
 * Parses the query of a type-level search into a typed request (R4 search.html).
 *
 * Parameters and modifiers that Flint does not support are rejected under
 * `Prefer: handling=strict` and reported in the result under lenient handling, never dropped
 * in silence (search.html#errors). Invalid values of supported parameters are always rejected.
 */
export function parseSearchQuery(
  resourceType: string,
  query: URLSearchParams,
  handling: "strict" | "lenient",
): ParsedSearch {
  const clauses: SearchClause[] = [];
  const ignored: Issue[] = [];
  const applied: Array<[string, string]> = [];
  const request: SearchRequest = { resourceType, clauses, count: DEFAULT_SEARCH_COUNT };

  for (const [name, value] of query) {
    if (FORMAT_PARAMETERS.has(name)) continue;
    const [base = "", modifier] = name.split(":", 2);

    if (base === "_count" && modifier === undefined) {
      request.count = parseCount(value);
      applied.push([name, value]);
    } else if (base === "_cursor" && modifier === undefined) {
      request.cursor = value;
    } else if (base === "_id" && modifier === undefined) {
      clauses.push({ parameter: "_id", values: splitValues(value).map((id) => checkIdValue(id)) });
      applied.push([name, value]);
    } else if (base === "identifier" && modifier === undefined && hasIdentifierParameter(resourceType)) {
      clauses.push({ parameter: "identifier", values: splitValues(value).map(parseToken) });
      applied.push([name, value]);
    } else {
      const known = base === "_id" || base === "_count" || (base === "identifier" && hasIdentifierParameter(resourceType));
      const diagnostics = known
        ? `Modifier ":${modifier}" of ${base} is not supported.`
        : `Search parameter "${name.slice(0, 64)}" is not supported for ${resourceType}.`;
      if (handling === "strict") throw new FhirError("not-supported", { diagnostics, expression: name.slice(0, 64) });
      ignored.push({ severity: "warning", code: "not-supported", diagnostics: `${diagnostics} It was ignored.` });
    }
  }
  return { request, ignored, applied };
}

function parseCount(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new FhirError("invalid", `_count "${value.slice(0, 64)}" is not a whole number.`);
  return Math.min(Number(value), MAX_SEARCH_COUNT);
}

function checkIdValue(value: string): string {
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(value)) return value;
  throw new FhirError("invalid", `_id "${value.slice(0, 64)}" is not a valid id.`);
}

/**
 * Splits a parameter value at unescaped commas and removes the escapes `\,` `\|` `\$` `\\`
 * (R4 search.html#escaping). A `|` that separates system and code stays, marked by `splitToken`.
 */
function splitValues(value: string): string[] {
  const values: string[] = [];
  let current = "";
  for (let index = 0; index < value.length; index++) {
    const char = value[index]!;
    if (char === "\\" && index + 1 < value.length) {
      current += char + value[index + 1];
      index++;
    } else if (char === ",") {
      values.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  values.push(current);
  if (values.some((item) => item === "")) throw new FhirError("invalid", `Search value "${value.slice(0, 64)}" has an empty alternative.`);
  return values;
}

/** Parses `code`, `system|code`, `|code` or `system|`, keeping escaped `\|` inside either part. */
function parseToken(value: string): TokenValue {
  let separator = -1;
  for (let index = 0; index < value.length; index++) {
    if (value[index] === "\\") index++;
    else if (value[index] === "|") {
      separator = index;
      break;
    }
  }
  if (separator < 0) return { code: unescape(value) };
  const system = unescape(value.slice(0, separator));
  const code = value.slice(separator + 1);
  return code === "" ? { system } : { system, code: unescape(code) };
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}
