import { describe, expect, it } from "vitest";
import { checkPrimitiveFormat, primitiveJsonType } from "./primitives.ts";

type Case = readonly [type: string, value: string | number | boolean];

function expectValid(cases: readonly Case[]): void {
  for (const [type, value] of cases) {
    expect(checkPrimitiveFormat(type, value), `${type} ${JSON.stringify(value)}`).toBeUndefined();
  }
}

function expectInvalid(cases: readonly Case[]): void {
  for (const [type, value] of cases) {
    expect(checkPrimitiveFormat(type, value), `${type} ${JSON.stringify(value)}`).toMatch(new RegExp(`^Invalid ${type}`));
  }
}

describe("primitiveJsonType", () => {
  it("maps numeric types to number", () => {
    for (const type of ["integer", "positiveInt", "unsignedInt", "decimal"]) {
      expect(primitiveJsonType(type)).toBe("number");
    }
  });

  it("maps boolean to boolean", () => {
    expect(primitiveJsonType("boolean")).toBe("boolean");
  });

  it("maps other primitives to string", () => {
    for (const type of ["string", "code", "id", "uri", "date", "dateTime", "instant", "time", "base64Binary", "xhtml"]) {
      expect(primitiveJsonType(type)).toBe("string");
    }
  });

  it("returns undefined for complex types", () => {
    expect(primitiveJsonType("HumanName")).toBeUndefined();
  });
});

describe("date", () => {
  it("accepts year, year-month and full dates", () => {
    expectValid([["date", "2020"], ["date", "2020-02"], ["date", "2020-02-29"], ["date", "0001-01-01"], ["date", "2000-02-29"]]);
  });

  it("rejects invalid months, days and shapes", () => {
    expectInvalid([
      ["date", "2020-13-01"],
      ["date", "2020-00"],
      ["date", "2020-01-32"],
      ["date", "0000"],
      ["date", "20"],
      ["date", "2020-1-1"],
      ["date", "2020-01-01T10:00:00Z"],
      ["date", " 2020"],
    ]);
  });

  it("rejects days missing from the calendar", () => {
    expectInvalid([["date", "2021-02-29"], ["date", "1900-02-29"], ["date", "2020-04-31"], ["date", "2020-02-30"]]);
  });

  it("names the expected format", () => {
    expect(checkPrimitiveFormat("date", "2020-13-01")).toBe(
      'Invalid date "2020-13-01": expected YYYY, YYYY-MM or YYYY-MM-DD',
    );
  });
});

describe("dateTime", () => {
  it("accepts partial dates and times with a zone", () => {
    expectValid([
      ["dateTime", "2020"],
      ["dateTime", "2020-02"],
      ["dateTime", "2020-02-03"],
      ["dateTime", "2020-02-03T10:20:30Z"],
      ["dateTime", "2020-02-03T10:20:30.123+05:30"],
      ["dateTime", "2020-02-03T23:59:59-13:59"],
      ["dateTime", "2020-02-03T00:00:00+14:00"],
    ]);
  });

  it("rejects times without a zone or seconds", () => {
    expectInvalid([
      ["dateTime", "2020-02-03T10:20:30"],
      ["dateTime", "2020-02-03T10:20Z"],
      ["dateTime", "2020-02-03T10Z"],
      ["dateTime", "2020-02-03 10:20:30Z"],
    ]);
  });

  it("rejects invalid zones and hours", () => {
    expectInvalid([
      ["dateTime", "2020-02-03T10:20:30+14:30"],
      ["dateTime", "2020-02-03T10:20:30+1:00"],
      ["dateTime", "2020-02-03T24:00:00Z"],
      ["dateTime", "2021-02-29T10:20:30Z"],
    ]);
  });
});

describe("instant", () => {
  it("accepts full timestamps with a zone", () => {
    expectValid([
      ["instant", "2015-02-07T13:28:17.239+02:00"],
      ["instant", "2017-01-01T00:00:00Z"],
      ["instant", "2017-01-01T00:00:00.000000001-05:00"],
    ]);
  });

  it("accepts leap second 60 like R4", () => {
    expectValid([["instant", "2016-12-31T23:59:60Z"]]);
  });

  it("rejects second 61 and partial timestamps", () => {
    expectInvalid([
      ["instant", "2016-12-31T23:59:61Z"],
      ["instant", "2017-01-01"],
      ["instant", "2017-01-01T00:00:00"],
      ["instant", "2017-01-01T00:00Z"],
      ["instant", "2017-02-29T00:00:00Z"],
    ]);
  });
});

describe("time", () => {
  it("accepts hh:mm:ss with optional fraction", () => {
    expectValid([["time", "00:00:00"], ["time", "23:59:59.999"], ["time", "12:30:60"]]);
  });

  it("rejects zones, missing seconds and out-of-range values", () => {
    expectInvalid([["time", "12:30"], ["time", "12:30:00Z"], ["time", "24:00:00"], ["time", "12:60:00"], ["time", "1:00:00"]]);
  });
});

describe("id", () => {
  it("accepts up to 64 id characters", () => {
    expectValid([["id", "a"], ["id", "example-1.2"], ["id", "A".repeat(64)]]);
  });

  it("rejects other characters and long ids", () => {
    expectInvalid([["id", "a b"], ["id", "a_b"], ["id", "a/b"], ["id", "A".repeat(65)], ["id", "é"]]);
  });
});

describe("code", () => {
  it("accepts tokens separated by single spaces", () => {
    expectValid([["code", "final"], ["code", "a b c"], ["code", "text/plain; charset=utf-8"]]);
  });

  it("rejects leading, trailing and repeated whitespace", () => {
    expectInvalid([["code", " final"], ["code", "final "], ["code", "a  b"], ["code", "a\n\nb"], ["code", " "]]);
  });
});

describe("uri, url and canonical", () => {
  it("accepts strings without whitespace", () => {
    expectValid([
      ["uri", "http://hl7.org/fhir"],
      ["uri", "urn:oid:1.2.3"],
      ["uri", "#p1"],
      ["url", "https://example.org/a?b=c"],
      ["canonical", "http://hl7.org/fhir/ValueSet/x|4.0.1"],
    ]);
  });

  it("rejects whitespace anywhere", () => {
    expectInvalid([
      ["uri", "http://a b"],
      ["uri", " http://a"],
      ["uri", "http://a\u00a0b"],
      ["url", "http://a\t"],
      ["canonical", "a\nb"],
    ]);
  });
});

describe("oid and uuid", () => {
  it("accepts urn:oid and lowercase urn:uuid values", () => {
    expectValid([
      ["oid", "urn:oid:2.16.840.1.113883"],
      ["oid", "urn:oid:1.0"],
      ["uuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"],
    ]);
  });

  it("rejects bare values, leading zeros and uppercase", () => {
    expectInvalid([
      ["oid", "2.16.840"],
      ["oid", "urn:oid:3.1"],
      ["oid", "urn:oid:1.02"],
      ["oid", "urn:oid:1"],
      ["uuid", "c757873d-ec9a-4326-a141-556f43239520"],
      ["uuid", "urn:uuid:C757873D-EC9A-4326-A141-556F43239520"],
    ]);
  });
});

describe("integer types", () => {
  it("accepts 32-bit integers", () => {
    expectValid([
      ["integer", 0],
      ["integer", -2147483648],
      ["integer", 2147483647],
      ["unsignedInt", 0],
      ["positiveInt", 1],
      ["positiveInt", 2147483647],
    ]);
  });

  it("rejects values outside the 32-bit range", () => {
    expectInvalid([["integer", 2147483648], ["integer", -2147483649], ["unsignedInt", 2147483648], ["positiveInt", 1e12]]);
  });

  it("rejects fractions and low values", () => {
    expectInvalid([["integer", 1.5], ["unsignedInt", -1], ["positiveInt", 0], ["positiveInt", -3]]);
  });

  it("accepts exponent giving whole number", () => {
    expectValid([["integer", JSON.parse("1e3") as number]]);
  });
});

describe("decimal", () => {
  it("accepts any finite JSON number", () => {
    expectValid([
      ["decimal", 0],
      ["decimal", -1.5],
      ["decimal", JSON.parse("1e3") as number],
      ["decimal", JSON.parse("1.0E-7") as number],
      ["decimal", 12345678901234567890],
    ]);
  });

  it("rejects NaN and infinities", () => {
    expectInvalid([["decimal", Number.NaN], ["decimal", Number.POSITIVE_INFINITY], ["decimal", JSON.parse("1e400") as number]]);
  });
});

describe("boolean", () => {
  it("accepts true and false", () => {
    expectValid([["boolean", true], ["boolean", false]]);
  });
});

describe("base64Binary", () => {
  it("accepts padded and line-wrapped base64", () => {
    expectValid([
      ["base64Binary", "aGVsbG8="],
      ["base64Binary", "aGVsbA=="],
      ["base64Binary", "aGVs"],
      ["base64Binary", "aGVs\r\nbG8h\n"],
      ["base64Binary", "a+/9"],
    ]);
  });

  it("rejects bad length, characters and padding", () => {
    expectInvalid([
      ["base64Binary", "aGVsbG8"],
      ["base64Binary", "aGV-bG8="],
      ["base64Binary", "aG=sbG8="],
      ["base64Binary", "a==="],
      ["base64Binary", "   "],
    ]);
  });
});

describe("strings", () => {
  it("accepts non-empty text with whitespace", () => {
    expectValid([["string", " padded "], ["string", "line\nbreak"], ["markdown", "# Title"], ["xhtml", "<div>x</div>"]]);
  });

  it("rejects empty string-based values", () => {
    for (const type of ["string", "markdown", "code", "id", "uri", "date", "base64Binary", "xhtml"]) {
      expect(checkPrimitiveFormat(type, ""), type).toMatch(/empty strings are not allowed/);
    }
  });

  it("rejects strings over 1 MB", () => {
    expect(checkPrimitiveFormat("string", "a".repeat(1024 * 1024 + 1))).toMatch(/more than the R4 maximum/);
    expect(checkPrimitiveFormat("string", "a".repeat(1024 * 1024))).toBeUndefined();
  });

  it("allows base64Binary over 1 MB", () => {
    expect(checkPrimitiveFormat("base64Binary", "aGVs".repeat(300_000))).toBeUndefined();
  });
});

describe("diagnostics", () => {
  it("echo at most 64 characters of a value", () => {
    const message = checkPrimitiveFormat("date", `${"9".repeat(200)}`) ?? "";
    expect(message).toContain(`"${"9".repeat(64)}"...`);
    expect(message).not.toContain("9".repeat(65));
  });
});
