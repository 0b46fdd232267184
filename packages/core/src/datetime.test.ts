import { describe, expect, it } from "vitest";
import { parseDateRange, parseInstant } from "./datetime.ts";

const utc = (text: string) => Date.parse(text);

describe("parseDateRange", () => {
  it.each([
    ["2024", "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z"],
    ["2024-02", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"],
    ["2024-02-29", "2024-02-29T00:00:00Z", "2024-03-01T00:00:00Z"],
    ["2024-02-29T10:15Z", "2024-02-29T10:15:00Z", "2024-02-29T10:16:00Z"],
    ["2024-02-29T10:15:30+02:00", "2024-02-29T08:15:30Z", "2024-02-29T08:15:31Z"],
    ["2024-02-29T10:15:30.5Z", "2024-02-29T10:15:30.500Z", "2024-02-29T10:15:30.600Z"],
    ["2024-02-29T10:15:30.123456-05:00", "2024-02-29T15:15:30.123Z", "2024-02-29T15:15:30.124Z"],
  ])("%s covers its whole period", (value, start, end) => {
    expect(parseDateRange(value)).toEqual({ start: utc(start), end: utc(end) });
  });

  it.each(["2023-02-29", "2024-13", "24", "2024-01-01T10:00", "2024-01-01T25:00Z", "2024-1-1", "yesterday", ""])(
    "%s is rejected",
    (value) => {
      expect(parseDateRange(value)).toBeUndefined();
    },
  );
});

describe("parseInstant", () => {
  it("needs seconds and a zone", () => {
    expect(parseInstant("2024-05-01T10:00:00Z")).toBe(utc("2024-05-01T10:00:00Z"));
    expect(parseInstant("2024-05-01T10:00Z")).toBeUndefined();
    expect(parseInstant("2024-05-01")).toBeUndefined();
  });
});
