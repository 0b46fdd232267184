import type { Resource } from "fhir/r4";
import type { SearchClause } from "./request.ts";
import { extractIdentifierTokens, tokenMatches } from "./tokens.ts";

/**
 * Tests a resource against every clause of a search in memory. Stores check each candidate
 * found through their indexes with it, so a stale or half-written index entry can never put a
 * resource in the results that does not match.
 */
export function matchesClauses(resource: Resource, clauses: readonly SearchClause[]): boolean {
  return clauses.every((clause) => matchesClause(resource, clause));
}

function matchesClause(resource: Resource, clause: SearchClause): boolean {
  switch (clause.parameter) {
    case "_id":
      return resource.id !== undefined && clause.values.includes(resource.id);
    case "identifier": {
      const tokens = extractIdentifierTokens(resource);
      return tokens.some((token) => clause.values.some((value) => tokenMatches(token, value)));
    }
  }
}
