/** The part of @lhncbc/ucum-lhc 7 that the UCUM comparison test uses; the package ships no type declarations. */
declare module "@lhncbc/ucum-lhc" {
  interface BaseUnitsResult {
    status: "succeeded" | "invalid" | "failed" | "error";
    msg: string[];
    magnitude?: number;
    fromUnitIsSpecial?: boolean;
    unitToExp?: Record<string, number>;
  }

  interface UcumLhcUtils {
    convertToBaseUnits(fromUnit: string, fromVal: number): BaseUnitsResult;
  }

  const ucum: {
    UcumLhcUtils: { getInstance(): UcumLhcUtils };
  };
  export default ucum;
}
