import type { Bundle, BundleEntry } from "fhir/r4";
import { FhirError, formatOperationOutcome, parseSystemSearch, parseTypeSearch, RawJson, type ParsedSearch, type SearchQuery } from "@flint/core";
import type { FhirRepository, SearchPage } from "@flint/repository";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { readBody } from "../http/body.ts";
import { resolveChains } from "./chains.ts";
import { findIncluded } from "./includes.ts";
import { checkResourceType } from "./resource-input.ts";
import { subsetJson } from "./subset.ts";

/**
 * search-type: `GET [base]/[type]?params` and `POST [base]/[type]/_search` with a form body
 * (R4 http.html#search, search.html). Matches come back in a `searchset` Bundle; parameters left
 * out under lenient handling are reported in an OperationOutcome entry (search.html#errors).
 */
export async function searchType(request: FhirRequest): Promise<FhirResponse> {
  const type = checkResourceType(request.params.type);
  const query = await searchParameters(request);
  const parsed = parseTypeSearch(type, query, request.prefer.handling, request.baseUrl, { chains: true, results: true });
  return respond(request, parsed, `${request.baseUrl}/${type}`);
}

/**
 * search-system: `GET [base]?params` and `POST [base]/_search` (R4 http.html#search). `_type`
 * narrows the types searched; without it every type is searched with the common parameters.
 * Results are ordered by type, then id. `_has` needs one type, because it selects by the
 * references that point to a resource of that type.
 */
export async function searchSystem(request: FhirRequest): Promise<FhirResponse> {
  const query = await searchParameters(request);
  const parsed = parseSystemSearch(query, request.prefer.handling, request.baseUrl, { chains: true, results: true });
  if (parsed.query.resourceTypes.length > 1 && parsed.query.clauses.some((clause) => clause.kind === "has")) {
    throw new FhirError("not-supported", "_has needs a search of one type: give one type in _type, or search GET [base]/[type].");
  }
  return respond(request, parsed, request.baseUrl);
}

/** Reads the search parameters of the URL, and of the form body of a POST `_search`. */
async function searchParameters(request: FhirRequest): Promise<URLSearchParams> {
  const query = new URLSearchParams(request.query);
  if (request.request.method === "POST") {
    const contentType = request.request.headers.get("content-type") ?? "";
    if (!contentType.startsWith("application/x-www-form-urlencoded")) {
      const sent = contentType === "" ? "no Content-Type" : `Content-Type "${contentType.slice(0, 64)}"`;
      throw new FhirError("unsupported-media-type", `POST _search needs a body of type application/x-www-form-urlencoded, but the request has ${sent}.`);
    }
    for (const [name, value] of new URLSearchParams(await readBody(request.request, request.settings.maxBodyBytes))) {
      query.append(name, value);
    }
  }
  return query;
}

/** Runs a parsed search and builds its `searchset` Bundle, with links on `path`. */
async function respond(request: FhirRequest, parsed: ParsedSearch, path: string): Promise<FhirResponse> {
  const { ignored, applied } = parsed;
  const repository = request.settings.repository;
  const search = await resolveChains(repository, parsed.query);
  const countOnly = search.summary === "count";
  const total = search.total !== "none" || countOnly ? await countMatches(repository, search) : undefined;
  const page: SearchPage = countOnly ? { entries: [] } : await repository.search(search);

  const included = await findIncluded(repository, search, page.entries);
  const entries: BundleEntry[] = [
    ...page.entries.map((match) => ({
      fullUrl: `${request.baseUrl}/${match.resourceType}/${match.id}`,
      resource: new RawJson(subsetJson(match.json, match.resourceType, search)) as never,
      search: { mode: "match" as const },
    })),
    ...included.map((resource) => ({
      fullUrl: `${request.baseUrl}/${resource.resourceType}/${resource.id}`,
      resource: new RawJson(resource.json) as never,
      search: { mode: "include" as const },
    })),
  ];
  if (ignored.length > 0) entries.push({ resource: formatOperationOutcome(ignored), search: { mode: "outcome" } });

  const link = (extra: Array<[string, string]>) => {
    const parameters = new URLSearchParams([...applied, ...extra]);
    const text = parameters.toString();
    return `${path}${text === "" ? "" : `?${text}`}`;
  };
  const bundle: Bundle = {
    resourceType: "Bundle",
    id: crypto.randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: "searchset",
    link: [{ relation: "self", url: link(search.cursor === undefined ? [] : [["_cursor", search.cursor]]) }],
  };
  // FHIR JSON has no empty arrays, so a search without results has no `entry` at all.
  if (entries.length > 0) bundle.entry = entries;
  if (total !== undefined) bundle.total = total;
  if (page.next !== undefined) bundle.link!.push({ relation: "next", url: link([["_cursor", page.next]]) });
  if (page.previous !== undefined) bundle.link!.push({ relation: "previous", url: link([["_cursor", page.previous]]) });
  return { status: 200, body: bundle };
}

/** Most matches counted for `_total` or `_summary=count`. */
export const MAX_COUNTED = 10_000;

/** Counts every match of a search by reading its pages, for `_total` and `_summary=count` (R4 search.html#total). */
async function countMatches(repository: FhirRepository, search: SearchQuery): Promise<number> {
  // The total covers every page, so counting starts from the first one, whatever page was requested.
  const { cursor: _page, ...first } = search;
  let counted = 0;
  let cursor: string | undefined;
  do {
    const page = await repository.search({ ...first, sort: [], count: 1_000, ...(cursor === undefined ? {} : { cursor }) });
    counted += page.entries.length;
    if (counted > MAX_COUNTED) throw new FhirError("too-costly", `The search matches more than ${MAX_COUNTED} resources, too many to count; narrow it or use _total=none.`);
    cursor = page.next;
  } while (cursor !== undefined);
  return counted;
}
