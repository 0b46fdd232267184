import type { Resource } from "fhir/r4";
import { FhirError, type Issue } from "../outcome.ts";
import { SEARCH_PARAMETERS } from "../generated/search-parameters.ts";
import { extractSearchValues } from "./extract.ts";
import { toCanonicalQuantity } from "./extract/ucum.ts";
import type { IndexValue, QueryClause, SearchQuery } from "./model.ts";
import { matchesClause } from "./query/match.ts";
import { parseSearch, type ParsedSearch } from "./query/parse.ts";

/** Converts a UCUM quantity in a query to base units, the same way extraction does for stored values. */
function canonicalize(value: number, code: string): { value: number; code: string } | undefined {
  const canonical = toCanonicalQuantity(code, { value, low: value, high: value });
  return canonical === undefined ? undefined : { value: canonical.value, code: canonical.code };
}

/**
 * Parses the query of a type-level search and drops what the caller cannot run: chained
 * parameters and `_has` unless `options.chains` is set because the caller resolves them, and
 * `_total`, `_summary` and `_elements` unless `options.results` is set because the caller shapes
 * results. Under `Prefer: handling=strict` these are rejected with 400. Under lenient handling
 * each is reported in `ignored`, never dropped in silence.
 */
export function parseTypeSearch(
  resourceType: string,
  parameters: URLSearchParams,
  handling: "strict" | "lenient",
  baseUrl?: string,
  options: { chains?: boolean; results?: boolean } = {},
): ParsedSearch {
  return parseWithOptions([resourceType], parameters, handling, baseUrl, options);
}

/**
 * Parses the query of a system-level search (R4 http.html#search, `GET [base]?params`) as
 * parseTypeSearch does. `_type` narrows the types; without it, every searchable type is
 * searched, so only the parameters common to all types apply.
 */
export function parseSystemSearch(
  parameters: URLSearchParams,
  handling: "strict" | "lenient",
  baseUrl?: string,
  options: { chains?: boolean; results?: boolean } = {},
): ParsedSearch {
  return parseWithOptions("all", parameters, handling, baseUrl, options);
}

function parseWithOptions(
  resourceTypes: string[] | "all",
  parameters: URLSearchParams,
  handling: "strict" | "lenient",
  baseUrl: string | undefined,
  options: { chains?: boolean; results?: boolean },
): ParsedSearch {
  const parsed = parseSearch({
    resourceTypes,
    query: parameters,
    handling,
    definitions: (type) => SEARCH_PARAMETERS[type],
    canonicalize,
    ...(baseUrl === undefined ? {} : { baseUrl }),
  });
  const ignored: Issue[] = [...parsed.ignored];
  const unsupported = (feature: string) => {
    const diagnostics = `${feature} is not supported yet.`;
    if (handling === "strict") throw new FhirError("not-supported", diagnostics);
    ignored.push({ severity: "warning", code: "not-supported", diagnostics: `${diagnostics} It was ignored.` });
  };

  const clauses = parsed.query.clauses.filter((clause) => {
    if (clause.kind === "parameter" || options.chains === true) return true;
    unsupported(clause.kind === "chain" ? `Chained parameter ${clause.parameter}.` : `_has:${clause.resourceType}`);
    return false;
  });
  const results = options.results === true;
  const dropped = new Set<string>();
  const query: SearchQuery = { ...parsed.query, clauses };
  if (query.total !== "none" && !results) {
    unsupported(`_total=${query.total}`);
    dropped.add("_total");
    query.total = "none";
  }
  if (query.summary !== undefined && !results) {
    unsupported(`_summary=${query.summary}`);
    dropped.add("_summary");
    delete (query as { summary?: unknown }).summary;
  }
  if (query.elements !== undefined && !results) {
    unsupported("_elements");
    dropped.add("_elements");
    delete (query as { elements?: unknown }).elements;
  }
  const applied = parsed.applied.filter(([name]) => !dropped.has(name.split(":")[0]!) && (options.chains === true || !name.includes(".")));
  return { query, ignored, applied };
}

/**
 * Tests a resource against every clause of a query in memory (R4 search.html), from the values
 * extracted for its type. Stores check each candidate their indexes propose with it, so a
 * stale index entry can never put a resource in the results that does not match.
 */
export function matchesQuery(resource: Resource, clauses: readonly QueryClause[], values?: ReadonlyMap<string, readonly IndexValue[]>): boolean {
  const extracted = values ?? extractSearchValues(resource);
  return clauses.every((clause) => clause.kind === "parameter" && matchesClause(extracted, clause));
}

/**
 * Lists the parameters a store must extract to check a candidate against the clauses and to
 * sort it: those of the parameter clauses and the sort keys. Chains and `_has` are resolved to
 * parameter clauses before they reach a store.
 */
export function parametersOf(clauses: readonly QueryClause[], sort: ReadonlyArray<{ parameter: string }> = []): Set<string> {
  const names = new Set<string>(sort.map((key) => key.parameter));
  for (const clause of clauses) if (clause.kind === "parameter") names.add(clause.parameter);
  return names;
}
