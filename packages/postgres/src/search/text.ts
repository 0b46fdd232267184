/**
 * Index text is cut to this many UTF-16 code units, so that every btree entry stays far below
 * PostgreSQL's limit of about 2,700 bytes. Cutting is safe because search checks every candidate
 * against the full resource: a cut value only makes the index propose more candidates.
 */
export const MAX_INDEX_TEXT = 256;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Prepares text for an index column or a comparison with one: NUL, which PostgreSQL text cannot
 * hold, and lone surrogates, which UTF-8 cannot encode, become U+FFFD, and the text is cut to
 * `MAX_INDEX_TEXT` without splitting a surrogate pair. Stored values and query values go through
 * the same steps, so equal inputs stay equal and prefixes stay prefixes.
 */
export function indexText(value: string): string {
  const clean = value.replace(/\u0000/g, "\uFFFD").replace(LONE_SURROGATE, "\uFFFD");
  if (clean.length <= MAX_INDEX_TEXT) return clean;
  const high = clean.charCodeAt(MAX_INDEX_TEXT - 1);
  const cut = high >= 0xd800 && high <= 0xdbff ? MAX_INDEX_TEXT - 1 : MAX_INDEX_TEXT;
  return clean.slice(0, cut);
}

/**
 * Returns the smallest string greater than every string that starts with `prefix`, in code
 * point order (the order of the "C" collation on UTF-8), or undefined when there is none. So
 * `value >= prefix AND value < end` selects exactly the values that start with `prefix`.
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = Array.from(prefix, (character) => character.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last >= 0x10ffff) continue;
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return String.fromCodePoint(...points, next);
  }
  return undefined;
}
