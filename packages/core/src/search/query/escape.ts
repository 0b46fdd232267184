/**
 * Separators and escapes in search values (R4 search.html#escaping). A `,` separates
 * alternatives, a `|` the parts of a token, quantity or canonical, and a `$` the components of a
 * composite. `\,` `\|` `\$` and `\\` stand for the literal characters.
 */
import { invalidValue } from "./errors.ts";

const ESCAPABLE = new Set([",", "|", "$", "\\"]);

/**
 * Splits text at each unescaped `separator`. The parts keep their escapes, so that a later split
 * at another separator can still tell which characters were escaped.
 */
export function splitUnescaped(text: string, separator: "," | "|" | "$"): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === "\\") {
      index++;
    } else if (char === separator) {
      parts.push(text.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Removes the escapes from one part of a value. A backslash before any character other than
 * `,` `|` `$` or `\` is invalid, because R4 defines no meaning for it.
 */
export function unescapeValue(text: string, parameter: string): string {
  let result = "";
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char !== "\\") {
      result += char;
      continue;
    }
    const next = text[index + 1];
    if (next === undefined || !ESCAPABLE.has(next)) {
      throw invalidValue(parameter, text, "a backslash must be followed by one of , | $ \\");
    }
    result += next;
    index++;
  }
  return result;
}
