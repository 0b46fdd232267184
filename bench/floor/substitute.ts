/** A Flint version number as it appears in DynamoDB sort keys: 10 digits, zero-padded. */
const PADDED_VERSION = /(?<!\d)\d{10}(?!\d)/g;

/** A version number in the JSON rows that the PostgreSQL store passes as one parameter. */
const JSON_VERSION = /"(vid|expected)":(\d+)/g;

/** Object keys whose numbers are version numbers: DynamoDB's `vid` and condition values such as `:vid0`, and `expected` in SQL rows. */
const VERSION_KEY = /^(:?vid\w*|expected)$/;

/**
 * Returns a deep copy of a recorded call input for a replay on another resource. Every
 * occurrence of the recorded id becomes `id`. When `versionShift` is set, every version number
 * of 1 or 2 (the recorded update from 1 to 2) is raised by it. Binary values are kept as they are.
 *
 * NOTE: this depends on where the two stores put version numbers (see the patterns above). A new
 * place would keep its recorded value, and the replayed write would then fail its condition,
 * which the floor counts as a failure.
 */
export function substitute<T>(value: T, recordedId: string, id: string, versionShift = 0): T {
  return substituteValue(value, undefined, recordedId, id, versionShift) as T;
}

function substituteValue(value: unknown, key: string | undefined, recordedId: string, id: string, shift: number): unknown {
  if (typeof value === "string") {
    let text = value.replaceAll(recordedId, id);
    if (shift !== 0) {
      text = text.replace(PADDED_VERSION, (digits) => (Number(digits) <= 2 ? String(Number(digits) + shift).padStart(10, "0") : digits));
      text = text.replace(JSON_VERSION, (whole, name: string, digits: string) => (Number(digits) <= 2 ? `"${name}":${Number(digits) + shift}` : whole));
    }
    return text;
  }
  if (typeof value === "number") return shift !== 0 && key !== undefined && VERSION_KEY.test(key) && value <= 2 ? value + shift : value;
  if (value instanceof Uint8Array || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((element) => substituteValue(element, undefined, recordedId, id, shift));
  if (value instanceof Set) return new Set([...value].map((element) => substituteValue(element, undefined, recordedId, id, shift)));
  return Object.fromEntries(Object.entries(value).map(([name, element]) => [name, substituteValue(element, name, recordedId, id, shift)]));
}
