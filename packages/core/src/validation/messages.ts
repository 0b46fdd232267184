/** Maximum number of characters of a client-supplied value or property name echoed in a message. */
export const MAX_ECHOED_CHARACTERS = 64;

/**
 * Quotes a client-supplied string for a diagnostics message, as a JSON string literal so that
 * control characters are escaped. Strings longer than 64 characters are cut and end in "...".
 */
export function quote(value: string): string {
  if (value.length <= MAX_ECHOED_CHARACTERS) return JSON.stringify(value);

  let end = MAX_ECHOED_CHARACTERS;
  // Do not split a surrogate pair, which would leave half a character.
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${JSON.stringify(value.slice(0, end))}...`;
}

/** Describes the JSON type of a value, with the value itself for short scalars, e.g. `the string "12"`. */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return `the string ${quote(value)}`;
    case "number":
      return `the number ${String(value)}`;
    case "boolean":
      return String(value);
    case "object":
      return "an object";
    default:
      return `a value of JavaScript type ${typeof value}, which JSON cannot contain`;
  }
}
