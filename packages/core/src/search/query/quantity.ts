/** Quantity search values (R4 search.html#quantity). */
import type { QueryValue } from "../model.ts";
import type { Canonicalize } from "./context.ts";
import { invalidValue } from "./errors.ts";
import { splitUnescaped, unescapeValue } from "./escape.ts";
import { parseDecimalRange } from "./number.ts";
import { splitPrefix } from "./prefix.ts";

/** The code system of UCUM units, the only system whose codes the parser converts. */
export const UCUM_SYSTEM = "http://unitsofmeasure.org";

type QuantityValue = QueryValue & { type: "quantity" };

/**
 * Parses one alternative of a quantity parameter: `[prefix]number|system|code`,
 * `[prefix]number||code` (any system) or `[prefix]number` (any unit).
 *
 * When the system is UCUM and `canonicalize` converts the code, the value also carries its
 * canonical form, so that a search in `mg` can match a value stored in `g`. Codes without the
 * UCUM system are not converted, even when they look like UCUM units, because the same text may
 * mean something else in another system.
 */
export function parseQuantityValue(text: string, parameter: string, canonicalize?: Canonicalize): QuantityValue {
  const { prefix, rest } = splitPrefix(text);
  const parts = splitUnescaped(rest, "|");
  if (parts.length !== 1 && parts.length !== 3) {
    throw invalidValue(parameter, text, "expected number, number|system|code or number||code");
  }

  const [numberText = "", systemText = "", codeText = ""] = parts;
  const range = parseDecimalRange(numberText);
  if (range === undefined) throw invalidValue(parameter, text, "the quantity does not start with a number");
  const system = unescapeValue(systemText, parameter);
  const code = unescapeValue(codeText, parameter);
  if (system !== "" && code === "") throw invalidValue(parameter, text, "a quantity with a system needs a code");

  const quantity: QuantityValue = { type: "quantity", prefix, ...range };
  if (system !== "") quantity.system = system;
  if (code !== "") quantity.code = code;
  if (system === UCUM_SYSTEM && canonicalize !== undefined) {
    const canonical = canonicalizeRange(quantity, code, canonicalize);
    if (canonical !== undefined) quantity.canonical = canonical;
  }
  return quantity;
}

function canonicalizeRange(
  quantity: { value: number; low: number; high: number },
  code: string,
  canonicalize: Canonicalize,
): QuantityValue["canonical"] {
  const value = canonicalize(quantity.value, code);
  const low = canonicalize(quantity.low, code);
  const high = canonicalize(quantity.high, code);
  if (value === undefined || low === undefined || high === undefined) return undefined;
  return { value: value.value, low: low.value, high: high.value, code: value.code };
}
