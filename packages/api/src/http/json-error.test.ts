import { describe, expect, it } from "vitest";
import { findJsonProblem, MAX_JSON_DEPTH } from "./json-error.ts";

describe("findJsonProblem", () => {
  it.each([
    ['{"a": tru}', 6, "a JSON value"],
    ['{"a": 1,}', 8, "a property name in double quotes"],
    ['{"a" 1}', 5, '":"'],
    ["[1, 2", 5, '"," or "]"'],
    ['{"a": "x\ny"}', 8, "no control characters inside a string (escape them)"],
    ['{"a": "\\q"}', 7, "a valid escape sequence"],
    ["{} {}", 3, "end of input"],
    ['{"a": 01}', 7, '"," or "}"'],
    ['"open', 5, "a closing double quote"],
    ["[1.]", 3, "a digit after the decimal point"],
    ["[1e+]", 4, "a digit in the exponent"],
  ])("%j fails at %i", (text, offset, expected) => {
    expect(findJsonProblem(text)).toMatchObject({ offset, expected });
  });

  it.each(['{"a":[1,{"b":null}],"c":"\\ud83d\\ude00"}', "[]", "{}", '"x"', "-0.5e-3", `[${"9".repeat(500)}]`])("accepts %j", (text) => {
    expect(findJsonProblem(text)).toBeUndefined();
  });

  it("names a repeated key and its path", () => {
    expect(findJsonProblem('{"a":[{"b":1},{"b":1,"b":2}]}')).toMatchObject({ offset: 21, duplicateKey: "b", path: ["a", 1, "b"] });
  });

  it("compares keys after unescaping", () => {
    expect(findJsonProblem('{"ab":1,"\\u0061b":2}')).toMatchObject({ duplicateKey: "ab", path: ["ab"] });
  });

  it.each([
    ['{"a":"\\ud800"}', 6],
    ['{"a":"x\\udc00"}', 7],
    ['{"a":"\\ud800\\u0041"}', 6],
  ])("rejects unpaired surrogate in %j", (text, offset) => {
    expect(findJsonProblem(text)).toMatchObject({ offset, unpairedSurrogate: true, path: ["a"] });
  });

  it("stops at the depth limit", () => {
    const problem = findJsonProblem(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    expect(problem?.offset).toBe(MAX_JSON_DEPTH);
    expect(problem?.expected).toMatch(/levels of nested/);
  });

  it("accepts nesting at the limit", () => {
    expect(findJsonProblem(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
  });
});
