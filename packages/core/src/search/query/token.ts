/** Token search values (R4 search.html#token). */
import type { QueryValue } from "../model.ts";
import { invalidValue } from "./errors.ts";
import { splitUnescaped, unescapeValue } from "./escape.ts";
import { normalizeString } from "./string.ts";

/**
 * Parses one alternative of a token parameter: `code` (any system), `system|code`, `|code`
 * (only values without a system, so `system` is "") or `system|` (any code in the system).
 */
export function parseTokenValue(text: string, parameter: string): QueryValue & { type: "token" } {
  const parts = splitUnescaped(text, "|");
  if (parts.length > 2) throw invalidValue(parameter, text, "a token has at most one unescaped |, between system and code");

  if (parts.length === 1) return { type: "token", code: unescapeValue(text, parameter) };
  const system = unescapeValue(parts[0] ?? "", parameter);
  const code = unescapeValue(parts[1] ?? "", parameter);
  if (system === "" && code === "") throw invalidValue(parameter, text, "a token needs a system, a code or both");
  return code === "" ? { type: "token", system } : { type: "token", system, code };
}

/** Parses a `:text` value, normalized like string search so that matching is a prefix test. */
export function parseTokenText(text: string, parameter: string): QueryValue & { type: "token-text" } {
  return { type: "token-text", text: normalizeString(unescapeValue(text, parameter)) };
}

/**
 * Parses an `:of-type` value, `system|code|value`: an Identifier whose type has the coding
 * `system|code` and whose value is `value`. All three parts are required.
 */
export function parseTokenOfType(text: string, parameter: string): QueryValue & { type: "token-of-type" } {
  const parts = splitUnescaped(text, "|").map((part) => unescapeValue(part, parameter));
  const [system = "", code = "", value = ""] = parts;
  if (parts.length !== 3 || system === "" || code === "" || value === "") {
    throw invalidValue(parameter, text, "the :of-type modifier expects system|code|value with all three parts");
  }
  return { type: "token-of-type", system, code, value };
}
