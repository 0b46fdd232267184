import type { Prefix } from "../model.ts";

const PREFIXES: ReadonlySet<string> = new Set<Prefix>(["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"]);

/**
 * Splits the comparison prefix off a number, date or quantity value (R4 search.html#prefix).
 * A value without one of the nine prefixes compares with `eq`. An unknown prefix stays in the
 * value, so the value's own parser rejects it.
 *
 * Hint: string, token, reference and uri values are never split, because `ge` or `eq` may start
 * a legal value there (`name=gene`). So a prefix on those types is searched as text, not rejected.
 */
export function splitPrefix(text: string): { prefix: Prefix; rest: string } {
  const head = text.slice(0, 2);
  if (PREFIXES.has(head)) return { prefix: head as Prefix, rest: text.slice(2) };
  return { prefix: "eq", rest: text };
}
