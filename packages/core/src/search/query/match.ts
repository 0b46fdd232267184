/**
 * Matching of the values extracted from one resource against one parameter clause
 * (R4 search.html). Stores use it to check candidates found through their indexes, and to
 * search in memory.
 */
import type { IndexValue, QueryClause } from "../model.ts";
import { matchesValue } from "./match-values.ts";

export interface MatchOptions {
  /** Current instant in epoch ms for `ap` on dates, `Date.now()` when absent. */
  now?: number;
}

type ParameterClause = QueryClause & { kind: "parameter" };

/**
 * Tests whether a resource matches a parameter clause, given the values extracted from it by
 * parameter code. The clause matches when any extracted value matches any of its alternatives.
 *
 * - `:missing=true` matches a resource without a value for the parameter, and `:missing=false`
 *   a resource with one.
 * - `:not` matches when no extracted value matches any alternative, so a resource without the
 *   element matches too, as R4 search.html#token states. With several alternatives,
 *   `gender:not=male,female` excludes both.
 *
 * Chains and `_has` are resolved by the caller, which looks up the referring or referred
 * resources and tests their own values with this function.
 */
export function matchesClause(
  values: ReadonlyMap<string, readonly IndexValue[]>,
  clause: ParameterClause,
  options: MatchOptions = {},
): boolean {
  const found = values.get(clause.parameter) ?? [];
  if (clause.modifier === "missing") return (found.length === 0) === (clause.missing === true);

  const now = options.now ?? Date.now();
  const matched = found.some((target) => clause.values.some((value) => matchesValue(target, value, clause.modifier, now)));
  return clause.modifier === "not" ? !matched : matched;
}
