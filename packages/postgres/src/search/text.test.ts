import { describe, expect, it } from "vitest";
import { indexText, MAX_INDEX_TEXT, prefixEnd } from "./text.ts";

describe("indexText", () => {
  it("replaces NUL and lone surrogates", () => {
    expect(indexText("a\u0000b\ud800c\udc00")).toBe("a\uFFFDb\uFFFDc\uFFFD");
  });

  it("keeps surrogate pairs", () => {
    expect(indexText("\u{1F600}")).toBe("\u{1F600}");
  });

  it("cuts long text without splitting a pair", () => {
    const text = `${"a".repeat(MAX_INDEX_TEXT - 1)}\u{1F600}tail`;
    expect(indexText(text)).toBe("a".repeat(MAX_INDEX_TEXT - 1));
    expect(indexText("b".repeat(MAX_INDEX_TEXT + 10))).toHaveLength(MAX_INDEX_TEXT);
  });
});

describe("prefixEnd", () => {
  it("increments the last code point", () => {
    expect(prefixEnd("abc")).toBe("abd");
    expect(prefixEnd("a\u{1F600}")).toBe("a\u{1F601}");
  });

  it("skips the surrogate range", () => {
    expect(prefixEnd("a\ud7ff")).toBe("a\ue000");
  });

  it("drops trailing maximum code points", () => {
    expect(prefixEnd("a\u{10FFFF}")).toBe("b");
    expect(prefixEnd("\u{10FFFF}")).toBeUndefined();
    expect(prefixEnd("")).toBeUndefined();
  });

  it("bounds every string with the prefix in code point order", () => {
    const end = prefixEnd("smi\ud7ff")!;
    for (const value of ["smi\ud7ff", "smi\ud7ffth", "smi\ud7ff\u{10FFFF}x", "smi\ud7ff\uffff"]) {
      expect(compareCodePoints(value, end), value).toBeLessThan(0);
    }
    expect(compareCodePoints("smi\ue000", end)).toBe(0);
  });
});

/** Compares by code points, as PostgreSQL's "C" collation compares UTF-8 bytes. */
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (character) => character.codePointAt(0)!);
  const right = Array.from(b, (character) => character.codePointAt(0)!);
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    if (left[index] !== right[index]) return left[index]! - right[index]!;
  }
  return left.length - right.length;
}
