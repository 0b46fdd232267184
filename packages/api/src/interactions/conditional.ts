import { FhirError, parseSearchQuery, type SearchRequest } from "@flint/core";
import type { FhirRepository, StoredResource } from "@flint/repository";

/**
 * Parses the criteria of a conditional interaction (`If-None-Exist`, `[type]?criteria`, a
 * conditional reference) as a strict search: an unsupported parameter is an error here,
 * because ignoring it would match more resources than the client meant (R4 http.html#ccreate).
 */
export function parseCriteria(resourceType: string, criteria: string, what: string): SearchRequest {
  const query = new URLSearchParams(criteria.startsWith("?") ? criteria.slice(1) : criteria);
  if ([...query.keys()].length === 0) throw new FhirError("invalid", `${what} has no search criteria.`);
  try {
    return parseSearchQuery(resourceType, query, "strict").request;
  } catch (error) {
    if (error instanceof FhirError) {
      throw new FhirError(error.kind, error.issues.map((issue) => ({ ...issue, diagnostics: `${what}: ${issue.diagnostics}` })));
    }
    throw error;
  }
}

/** Returns up to two matches of conditional criteria: enough to tell none, one and several apart. */
export async function findMatches(repository: FhirRepository, criteria: SearchRequest): Promise<StoredResource[]> {
  const page = await repository.search({ ...criteria, count: 2 });
  return page.entries;
}
