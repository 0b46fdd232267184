import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "./base64url.ts";

const SAMPLES = ["", "a", "ab", "abc", '{"v":2,"d":"a","t":"Patient","k":"x-1"}', "Grüße, 東京 🏥", "~~~???>>>", "\u0000\u00ff"];

describe("base64url", () => {
  it.each(SAMPLES)("matches Buffer for %j", (text) => {
    expect(encodeBase64Url(text)).toBe(Buffer.from(text).toString("base64url"));
  });

  it.each(SAMPLES)("round-trips %j", (text) => {
    expect(decodeBase64Url(encodeBase64Url(text))).toBe(text);
  });

  it("uses the URL-safe alphabet without padding", () => {
    const token = encodeBase64Url("~~~???>>>");
    expect(token).toBe("fn5-Pz8_Pj4-");
    expect(token).not.toMatch(/[+/=]/);
  });

  it.each(["a+b", "a/b", "YQ==", "Y Q", "A", "é"])("rejects %j", (token) => {
    expect(() => decodeBase64Url(token)).toThrow(TypeError);
  });

  it("rejects bytes that are not UTF-8", () => {
    expect(() => decodeBase64Url(Buffer.from([0xc3, 0x28]).toString("base64url"))).toThrow(TypeError);
  });
});
