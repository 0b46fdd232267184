import { describe, expect, it } from "vitest";
import { locateJsonError } from "./json-error.ts";

describe("locateJsonError", () => {
  it.each([
    ['{"a": tru}', 6, "a JSON value"],
    ['{"a": 1,}', 8, "a property name in double quotes"],
    ['{"a" 1}', 5, '":"'],
    ['[1, 2', 5, '"]"'],
    ['{"a": "x\ny"}', 8, "no control characters inside a string (escape them)"],
    ['{"a": "\\q"}', 7, "a valid escape sequence"],
    ['{} {}', 3, "end of input"],
    ['{"a": 01}', 7, '"}"'],
    ['"open', 5, "a closing double quote"],
  ])("%j fails at %i", (text, offset, expected) => {
    expect(locateJsonError(text)).toEqual({ offset, expected });
  });

  it("stops at extreme nesting", () => {
    expect(locateJsonError("[".repeat(5_000)).expected).toBe("less deeply nested JSON");
  });
});
