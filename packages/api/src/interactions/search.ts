import type { Bundle, BundleEntry } from "fhir/r4";
import { FhirError, formatOperationOutcome, parseTypeSearch, RawJson, type SearchQuery } from "@flint/core";
import type { FhirRepository } from "@flint/repository";
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
  const query = new URLSearchParams(request.query);
  if (request.request.method === "POST") {
    const contentType = request.request.headers.get("content-type") ?? "";
    if (!contentType.startsWith("application/x-www-form-urlencoded")) {
      throw new FhirError("unsupported-media-type", "POST _search needs a body of type application/x-www-form-urlencoded.");
    }
    for (const [name, value] of new URLSearchParams(await readBody(request.request, request.settings.maxBodyBytes))) {
      query.append(name, value);
    }
  }

  const parsed = parseTypeSearch(type, query, request.prefer.handling, request.baseUrl, { chains: true, results: true });
  const { ignored, applied } = parsed;
  const repository = request.settings.repository;
  const search = await resolveChains(repository, parsed.query);
  const countOnly = search.summary === "count";
  const total = search.total !== "none" || countOnly ? await countMatches(repository, search) : undefined;
  const page = countOnly ? { entries: [] } : await repository.search(search);

  const included = await findIncluded(repository, search, page.entries);
  const entries: BundleEntry[] = [
    ...page.entries.map((match) => ({
      fullUrl: `${request.baseUrl}/${type}/${match.id}`,
      resource: new RawJson(subsetJson(match.json, type, search)) as never,
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
    return `${request.baseUrl}/${type}${text === "" ? "" : `?${text}`}`;
  };
  const bundle: Bundle = {
    resourceType: "Bundle",
    id: crypto.randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: "searchset",
    link: [{ relation: "self", url: link(search.cursor === undefined ? [] : [["_cursor", search.cursor]]) }],
    entry: entries,
  };
  if (total !== undefined) bundle.total = total;
  if ("next" in page && page.next !== undefined) bundle.link!.push({ relation: "next", url: link([["_cursor", page.next]]) });
  if ("previous" in page && page.previous !== undefined) bundle.link!.push({ relation: "previous", url: link([["_cursor", page.previous]]) });
  return { status: 200, body: bundle };
}

/** Most matches counted for `_total` or `_summary=count`. */
export const MAX_COUNTED = 10_000;

/** Counts every match of a search by reading its pages, for `_total` and `_summary=count` (R4 search.html#total). */
async function countMatches(repository: FhirRepository, search: SearchQuery): Promise<number> {
  let counted = 0;
  let cursor: string | undefined;
  do {
    const page = await repository.search({ ...search, sort: [], count: 1_000, ...(cursor === undefined ? {} : { cursor }) });
    counted += page.entries.length;
    if (counted > MAX_COUNTED) throw new FhirError("too-costly", `The search matches more than ${MAX_COUNTED} resources, too many to count; narrow it or use _total=none.`);
    cursor = page.next;
  } while (cursor !== undefined);
  return counted;
}
