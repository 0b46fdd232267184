import { describe, expect, it } from "vitest";
import { arrayElements, memberText, minifyJson, prettyJson, RawJson, replaceStrings, setIdAndMeta, stringifyWithRaw } from "./text.ts";

describe("minifyJson", () => {
  it("removes whitespace outside strings only", () => {
    const text = '{\n  "a" : [ 1.50, 2 ],\n  "b": "x  y \\" z"\n}';
    expect(minifyJson(text)).toBe('{"a":[1.50,2],"b":"x  y \\" z"}');
  });
});

describe("prettyJson", () => {
  it("matches JSON.stringify indentation", () => {
    const value = { a: [1, { b: "c, d: [e]" }], empty: {}, list: [], s: "x" };
    expect(prettyJson(JSON.stringify(value))).toBe(JSON.stringify(value, null, 2));
  });
});

describe("setIdAndMeta", () => {
  it("keeps decimals as written", () => {
    const text = '{"valueQuantity":{"value":105.00},"resourceType":"Observation","id":"old","meta":{"versionId":"9"},"n":1e3}';
    const result = setIdAndMeta(text, "new", { versionId: "1" });
    expect(result).toBe('{"resourceType":"Observation","id":"new","meta":{"versionId":"1"},"valueQuantity":{"value":105.00},"n":1e3}');
  });

  it("handles keys with escapes and nested braces in strings", () => {
    const text = '{"resourceType":"Basic","a\\"b":"}{","c":[{"d":"]"}]}';
    const result = setIdAndMeta(text, "x", {});
    expect(JSON.parse(result)).toEqual({ resourceType: "Basic", id: "x", meta: {}, 'a"b': "}{", c: [{ d: "]" }] });
  });

  it("keeps the last of duplicate keys, as JSON.parse does", () => {
    const result = setIdAndMeta('{"resourceType":"Basic","a":1,"a":2}', "x", {});
    expect(result).toBe('{"resourceType":"Basic","id":"x","meta":{},"a":2}');
  });
});

describe("stringifyWithRaw", () => {
  it("embeds raw text unchanged", () => {
    const result = stringifyWithRaw({ entry: [{ resource: new RawJson('{"value":1.0}') }, { resource: new RawJson("[2.50]") }] });
    expect(result).toBe('{"entry":[{"resource":{"value":1.0}},{"resource":[2.50]}]}');
  });

  it("leaves look-alike user strings alone", () => {
    const value = { text: "\u0000raw-0", entry: new RawJson("1.0") };
    expect(stringifyWithRaw(value)).toBe('{"text":"\\u0000raw-0","entry":1.0}');
  });
});

describe("memberText and arrayElements", () => {
  it("find raw parts without parsing values", () => {
    const text = '{"type":"batch","entry":[{"resource":{"v":1.50}},{"request":{"url":"a,b"}}]}';
    const entries = arrayElements(memberText(text, "entry")!);
    expect(entries).toEqual(['{"resource":{"v":1.50}}', '{"request":{"url":"a,b"}}']);
    expect(memberText(entries[0]!, "resource")).toBe('{"v":1.50}');
    expect(memberText(entries[1]!, "resource")).toBeUndefined();
    expect(arrayElements("[]")).toEqual([]);
  });
});

describe("replaceStrings", () => {
  it("rewrites values and reports their keys", () => {
    const text = '{"subject":{"reference":"urn:uuid:1"},"note":"urn:uuid:1","list":["urn:uuid:1","x"],"n":2.50}';
    const keys: Array<string | undefined> = [];
    const result = replaceStrings(text, (value, key) => {
      keys.push(key);
      return value === "urn:uuid:1" ? "Patient/p1" : undefined;
    });
    expect(result).toBe('{"subject":{"reference":"Patient/p1"},"note":"Patient/p1","list":["Patient/p1","x"],"n":2.50}');
    expect(keys).toEqual(["reference", "note", "list", "list"]);
  });

  it("decodes escaped values", () => {
    expect(replaceStrings('{"a":"x\\u0041"}', (value) => (value === "xA" ? "y" : undefined))).toBe('{"a":"y"}');
  });
});
