import { FhirError, parseTypeSearch, type SearchQuery } from "@flint/core";
import type { FhirRepository, StoredResource } from "@flint/repository";

/**
 * Parses the criteria of a conditional interaction (`If-None-Exist`, `[type]?criteria`, a
 * conditional reference) as a strict search: an unsupported parameter is an error here,
 * because ignoring it would match more resources than the client meant (R4 http.html#ccreate).
 */
export function parseCriteria(resourceType: string, criteria: string, what: string): SearchQuery {
  const query = new URLSearchParams(criteria.startsWith("?") ? criteria.slice(1) : criteria);
  if ([...query.keys()].length === 0) throw new FhirError("invalid", `${what} has no search criteria.`);
  try {
    return parseTypeSearch(resourceType, query, "strict").query;
  } catch (error) {
    if (error instanceof FhirError) {
      throw new FhirError(error.kind, error.issues.map((issue) => ({ ...issue, diagnostics: `${what}: ${issue.diagnostics}` })));
    }
    throw error;
  }
}

/** Pages read at most while looking for the matches of conditional criteria. */
const MAX_MATCH_PAGES = 50;

/**
 * Returns up to two matches of conditional criteria: enough to tell none, one and several
 * apart. Follows `next` links, because a store may return short pages.
 */
export async function findMatches(repository: FhirRepository, criteria: SearchQuery): Promise<StoredResource[]> {
  const matches: StoredResource[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_MATCH_PAGES; page++) {
    const result = await repository.search({ ...criteria, count: 2 - matches.length, ...(cursor === undefined ? {} : { cursor }) });
    matches.push(...result.entries);
    if (matches.length >= 2 || result.next === undefined) return matches;
    cursor = result.next;
  }
  throw new FhirError("too-costly", "The conditional criteria need too many reads to decide; add criteria such as an identifier.");
}
