/** URI search values (R4 search.html#uri). */
import type { QueryValue } from "../model.ts";

/** Parses one alternative of a uri parameter, already unescaped. URIs compare as written. */
export function parseUriValue(text: string): QueryValue & { type: "uri" } {
  return { type: "uri", value: text };
}
