/** Values of `quantity` search parameters (R4 search.html#quantity). */
import type { IndexValue } from "../model.ts";
import type { FhirValue } from "./evaluate.ts";
import { numberRange } from "./number.ts";
import { toCanonicalQuantity, UCUM_SYSTEM } from "./ucum.ts";

type QuantityValue = Extract<IndexValue, { type: "quantity" }>;

/** Quantity and its profiles that R4 uses as element types. */
const QUANTITY_TYPES = new Set(["Quantity", "Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"]);

/** The system of ISO 4217 currency codes, used for Money. */
export const CURRENCY_SYSTEM = "urn:iso:std:iso:4217";

/**
 * Appends one Quantity (or Age, Duration, …) with its precision range, its system, code and
 * unit, and its value in UCUM base units when the system is UCUM. Money becomes a quantity
 * coded by its currency. A Range or SampledData in a choice element adds nothing, and so does a
 * quantity without a value.
 * NOTE: a comparator (`<5 mg`) is not kept; the value is indexed as if it were exact.
 */
export function extractQuantities(item: FhirValue, values: IndexValue[]): void {
  if (item.type === undefined || typeof item.value !== "object" || item.value === null) return;
  const element = item.value as Record<string, unknown>;
  if (typeof element.value !== "number" || !Number.isFinite(element.value)) return;

  if (item.type === "Money") {
    const money: QuantityValue = { type: "quantity", ...numberRange(element.value) };
    if (typeof element.currency === "string") {
      money.system = CURRENCY_SYSTEM;
      money.code = element.currency;
    }
    values.push(money);
    return;
  }
  if (!QUANTITY_TYPES.has(item.type)) return;

  const { system, code, unit } = element;
  const quantity: QuantityValue = { type: "quantity", ...numberRange(element.value) };
  if (typeof system === "string") quantity.system = system;
  if (typeof code === "string") quantity.code = code;
  if (typeof unit === "string") quantity.unit = unit;
  if (system === UCUM_SYSTEM && typeof code === "string") {
    const canonical = toCanonicalQuantity(code, quantity);
    if (canonical !== undefined) quantity.canonical = canonical;
  }
  values.push(quantity);
}
