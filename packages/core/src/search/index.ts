export type { SearchClause, SearchRequest, TokenValue } from "./request.ts";
export { extractIdentifierTokens, hasIdentifierParameter, tokenMatches, type IndexedToken } from "./tokens.ts";
export { DEFAULT_SEARCH_COUNT, MAX_SEARCH_COUNT, parseSearchQuery, type ParsedSearch } from "./parse.ts";
export { matchesClauses } from "./match.ts";
