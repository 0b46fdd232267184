import { describe, expect, it } from "vitest";
import { numberRange } from "./number.ts";
import { toCanonicalQuantity } from "./ucum.ts";

function canonical(value: number, code: string) {
  return toCanonicalQuantity(code, numberRange(value));
}

describe("toCanonicalQuantity", () => {
  it("1500 mg equals 1.5 g", () => {
    expect(canonical(1500, "mg")).toEqual({ value: 1.5, low: 1.4995, high: 1.5005, code: "g" });
    expect(canonical(1.5, "g")?.value).toBe(1.5);
  });

  it("compound units use base codes", () => {
    expect(canonical(1, "mg/dL")).toEqual({ value: 10, low: 5, high: 15, code: "g.m-3" });
    expect(canonical(1, "kg.m/s2")?.code).toBe("g.m.s-2");
    expect(canonical(1, "ug/(24.h)")?.code).toBe("g.s-1");
    expect(canonical(2, "/min")?.value).toBeCloseTo(2 / 60, 15);
  });

  it("molar units are counts", () => {
    expect(canonical(1, "mmol/L")?.code).toBe("m-3");
    expect(canonical(1, "mmol/L")?.value).toBe(6.0221367e23);
    expect(canonical(1, "meq/L")).toEqual(canonical(1, "mmol/L"));
  });

  it("annotations count as 1", () => {
    expect(canonical(90, "mL/min/{1.73_m2}")).toEqual(canonical(90, "mL/min"));
    expect(canonical(3, "{score}")).toEqual({ value: 3, low: 2.5, high: 3.5, code: "1" });
  });

  it("Celsius offsets every bound", () => {
    expect(canonical(37, "Cel")).toEqual({ value: 310.15, low: 309.65, high: 310.65, code: "K" });
    expect(canonical(98.6, "[degF]")?.value).toBe(310.15);
    expect(canonical(0, "[degRe]")?.value).toBe(273.15);
  });

  it("special units reject operations", () => {
    expect(canonical(1, "Cel/s")).toBeUndefined();
    expect(canonical(1, "Cel2")).toBeUndefined();
    expect(canonical(1, "Cel.m")).toBeUndefined();
    expect(canonical(1, "2.Cel")?.value).toBe(275.15);
  });

  it("arbitrary and invalid units do not convert", () => {
    for (const code of ["[iU]/L", "[IU]", "mg/", "x{a}(m)", " mg", "", "mmHg", "(m)2", "{a}mg", "k[in_i]", "constructor"]) {
      expect(canonical(1, code), code).toBeUndefined();
    }
  });

  it("reciprocal atoms follow UCUM", () => {
    expect(canonical(2, "[diop]")).toEqual({ value: 2, low: 1.5, high: 2.5, code: "m-1" });
    expect(canonical(1, "kBd")?.code).toBe("s-1");
  });
});
