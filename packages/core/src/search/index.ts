export type { TokenValue } from "./request.ts";
export { extractIdentifierTokens, hasIdentifierParameter, tokenMatches, type IndexedToken } from "./tokens.ts";
export { DEFAULT_SEARCH_COUNT, MAX_SEARCH_COUNT, parseSearch, matchesClause, type ParsedSearch } from "./query/index.ts";
export { matchesQuery, parametersOf, parseSystemSearch, parseTypeSearch } from "./engine.ts";
export type * from "./model.ts";
export { OPEN_END, OPEN_START } from "./model.ts";
export {
  extractSearchValues,
  normalizeString,
  decimalRange,
  numberRange,
  toCanonicalQuantity,
  UCUM_SYSTEM,
  CURRENCY_SYSTEM,
  type PrecisionRange,
  type CanonicalQuantity,
} from "./extract.ts";
export { SEARCH_PARAMETERS } from "../generated/search-parameters.ts";
export { compareForSort, sortValue } from "./sort.ts";
export { approximateDateRange, approximateNumberRange, numberBounds, type NumberBounds } from "./query/ordered.ts";
