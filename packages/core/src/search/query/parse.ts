/** Parsing of a search URL's query into a typed SearchQuery (R4 search.html). */
import { RESOURCE_TYPES } from "../../generated/definitions.ts";
import { isFhirError, type Issue } from "../../outcome.ts";
import type { QueryClause, SearchParameterDefinition, SearchQuery } from "../model.ts";
import { buildClause } from "./clause.ts";
import { isSearchableType, type Canonicalize, type ParseContext } from "./context.ts";
import {
  DEFAULT_SEARCH_COUNT,
  parseCount,
  parseElements,
  parseInclude,
  parseSort,
  parseSummary,
  parseTotal,
  type ReportUnsupported,
} from "./controls.ts";
import { echo, invalidSearch, invalidValue, notSupported } from "./errors.ts";

export interface ParseSearchInput {
  /** Types of a type-level search (usually one), or "all" for a system-level search, narrowed by `_type`. */
  resourceTypes: string[] | "all";
  query: URLSearchParams;
  /** From `Prefer: handling`; decides whether unsupported parameters are rejected or ignored. */
  handling: "strict" | "lenient";
  /** Search parameters of a resource type, or `undefined` for a type that cannot be searched. */
  definitions: (resourceType: string) => readonly SearchParameterDefinition[] | undefined;
  /** Base URL of this server, so that absolute references to it match local ones. */
  baseUrl?: string;
  /** Converter of UCUM quantities to base units, applied to query quantities in the UCUM system. */
  canonicalize?: Canonicalize;
}

export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters left out under lenient handling, each with the reason, for the Bundle's outcome. */
  ignored: Issue[];
  /** The parameters applied, as name/value pairs for the `self` link. */
  applied: Array<[string, string]>;
}

/** Parameters that shape the response rather than select resources, handled by the REST layer. */
const FORMAT_PARAMETERS = new Set(["_format", "_pretty"]);

/** Result parameters that may appear once per search. */
const SINGLE_PARAMETERS = new Set(["_count", "_sort", "_total", "_summary", "_elements", "_cursor"]);

/**
 * Parses the query of a type-level or system-level search into a typed SearchQuery
 * (R4 search.html). Parameters repeat with AND and comma-separated values are OR
 * (search.html#combining).
 *
 * Unknown parameters, unsupported modifiers and unsupported features raise a `not-supported`
 * FhirError under strict handling. Under lenient handling they are left out and each is
 * reported in `ignored` as a warning, never dropped in silence (search.html#errors). Invalid
 * values raise an `invalid` FhirError under both.
 *
 * At system level each parameter must mean the same for every searched type, which in practice
 * limits a search without `_type` to the common parameters such as `_id` and `_lastUpdated`.
 */
export function parseSearch(input: ParseSearchInput): ParsedSearch {
  const context: ParseContext = { definitions: input.definitions, baseUrl: input.baseUrl, canonicalize: input.canonicalize };
  const ignored: Issue[] = [];
  const applied: Array<[string, string]> = [];
  const report: ReportUnsupported = (error) => {
    if (input.handling === "strict") throw error;
    for (const issue of error.issues) {
      ignored.push({ severity: "warning", code: "not-supported", diagnostics: `${issue.diagnostics} It was ignored.` });
    }
  };

  const resourceTypes = resolveResourceTypes(input, context, report, applied);
  const builder = new QueryBuilder(resourceTypes, context, report);
  for (const [name, value] of input.query) {
    if (FORMAT_PARAMETERS.has(name) || name === "_type") continue;
    try {
      const appliedValue = builder.apply(name, value);
      if (appliedValue !== undefined) applied.push([name, appliedValue]);
    } catch (error) {
      if (!isFhirError(error) || error.kind !== "not-supported") throw error;
      report(error);
    }
  }
  return { query: builder.query, ignored, applied };
}

/**
 * Returns the types a search covers: the route's type, or at system level the `_type` list or
 * every type that has search parameters. A `_type` entry that cannot be searched is invalid.
 */
function resolveResourceTypes(
  input: ParseSearchInput,
  context: ParseContext,
  report: ReportUnsupported,
  applied: Array<[string, string]>,
): string[] {
  const typeValues = input.query.getAll("_type");
  if (input.resourceTypes !== "all") {
    const unsearchable = input.resourceTypes.find((type) => !isSearchableType(context, type));
    if (unsearchable !== undefined) throw notSupported(`Search on ${echo(unsearchable)} is not supported.`);
    if (typeValues.length > 0) report(notSupported("_type applies only to a search across all types (GET [base]?_type=...)."));
    return input.resourceTypes;
  }

  if (typeValues.length === 0) return RESOURCE_TYPES.filter((type) => isSearchableType(context, type));
  if (typeValues.length > 1) throw invalidSearch("_type appears more than once. List the types in one comma-separated value.");
  const value = typeValues[0] ?? "";
  const types = [...new Set(value.split(","))];
  const wrong = types.find((type) => !isSearchableType(context, type));
  if (wrong !== undefined) throw invalidValue("_type", value, `"${echo(wrong)}" is not a resource type that Flint can search`);
  applied.push(["_type", value]);
  return types;
}

/** Collects the parts of a SearchQuery while the parameters are read in order. */
class QueryBuilder {
  readonly query: SearchQuery & {
    clauses: QueryClause[];
    include: SearchQuery["include"][number][];
    revinclude: SearchQuery["revinclude"][number][];
  };
  private readonly seen = new Set<string>();

  constructor(
    private readonly resourceTypes: readonly string[],
    private readonly context: ParseContext,
    private readonly report: ReportUnsupported,
  ) {
    this.query = { resourceTypes, clauses: [], sort: [], include: [], revinclude: [], count: DEFAULT_SEARCH_COUNT, total: "none" };
  }

  /** Applies one parameter and returns the value to show in the `self` link, or `undefined` for none. */
  apply(name: string, value: string): string | undefined {
    const colon = name.indexOf(":");
    const base = colon < 0 ? name : name.slice(0, colon);
    const modifier = colon < 0 ? undefined : name.slice(colon + 1);
    if (base === "_include" || base === "_revinclude") return this.applyInclude(base, modifier, name, value);
    if (!SINGLE_PARAMETERS.has(base)) return this.applyClause(name, value);

    if (modifier !== undefined) throw notSupported(`Modifier ":${echo(modifier)}" is not supported on ${base}.`);
    if (this.seen.has(base)) throw invalidSearch(`${base} appears more than once.`);
    this.seen.add(base);
    return this.applySingle(base, value);
  }

  private applySingle(base: string, value: string): string | undefined {
    switch (base) {
      case "_count":
        this.query.count = parseCount(value);
        return String(this.query.count);
      case "_cursor":
        this.query.cursor = value;
        return undefined;
      case "_total":
        this.query.total = parseTotal(value);
        return value;
      case "_summary":
        this.query.summary = parseSummary(value);
        return value;
      case "_elements":
        this.query.elements = parseElements(value);
        return value;
      case "_sort":
        this.query.sort = parseSort(value, this.resourceTypes, this.context, this.report);
        if (this.query.sort.length === 0) return undefined;
        return this.query.sort.map((key) => (key.descending ? `-${key.parameter}` : key.parameter)).join(",");
      default:
        throw new Error(`No handler for the result parameter ${base}.`);
    }
  }

  private applyInclude(base: "_include" | "_revinclude", modifier: string | undefined, name: string, value: string): string {
    if (modifier !== undefined && modifier !== "iterate") throw notSupported(`Modifier ":${echo(modifier)}" is not supported on ${base}; use :iterate.`);
    const directive = parseInclude(value, base, modifier === "iterate", this.resourceTypes, this.context);
    (base === "_include" ? this.query.include : this.query.revinclude).push(directive);
    return value;
  }

  /**
   * Builds the clause for every searched type and keeps it only when all types agree, because a
   * clause is shared by the whole search.
   */
  private applyClause(name: string, value: string): string {
    let first: { type: string; clause: QueryClause; text: string } | undefined;
    for (const type of this.resourceTypes) {
      const clause = buildClause(type, name, value, this.context);
      const text = JSON.stringify(clause);
      if (first === undefined) first = { type, clause, text };
      else if (text !== first.text) {
        throw notSupported(`Search parameter "${echo(name)}" differs between ${first.type} and ${type}; search them separately.`);
      }
    }
    if (first !== undefined) this.query.clauses.push(first.clause);
    return value;
  }
}
