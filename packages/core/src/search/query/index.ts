export { parseSearch, type ParsedSearch, type ParseSearchInput } from "./parse.ts";
export { DEFAULT_SEARCH_COUNT, MAX_SEARCH_COUNT } from "./controls.ts";
export type { Canonicalize } from "./context.ts";
export { normalizeString } from "./string.ts";
export { parseDecimalRange, type DecimalRange } from "./number.ts";
export { UCUM_SYSTEM } from "./quantity.ts";
export { matchesClause, type MatchOptions } from "./match.ts";
export { approximateDateRange, approximateNumberRange, compareNumber, compareRanges, type Range } from "./ordered.ts";
