/**
 * Typed search requests: what the REST layer hands to a repository after parsing a search URL
 * (R4 search.html). Repositories never see raw query strings.
 */

/**
 * A token search value (R4 search.html#token): `code`, `system|code`, `|code` (no system) or
 * `system|` (any code in the system). `system` is "" for `|code` and undefined when absent.
 */
export interface TokenValue {
  system?: string;
  code?: string;
}

/** One search parameter of a request. Its values are alternatives (OR); clauses combine with AND. */
export type SearchClause = { parameter: "_id"; values: string[] } | { parameter: "identifier"; values: TokenValue[] };

export interface SearchRequest {
  resourceType: string;
  clauses: SearchClause[];
  /** Matches per page. */
  count: number;
  /** Opaque position from a previous page's `next` link. */
  cursor?: string;
}
