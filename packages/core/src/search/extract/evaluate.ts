/**
 * Evaluation of the FHIRPath expressions of R4 search parameters with Flint's own evaluator of
 * the FHIRPath subset that these expressions use (`fhirpath/parse.ts`), which types every item
 * from the R4 definitions (`Quantity`, `dateTime`, `HumanName`, …).
 */
import type { Resource } from "fhir/r4";
import { fhirTypeName, resourceValue, TypedValue } from "./fhirpath/elements.ts";
import { evaluateNode } from "./fhirpath/interpret.ts";
import { parseFhirPath, type FhirPathNode } from "./fhirpath/parse.ts";

/**
 * One item of an expression's result: its FHIR type name when known, its JSON value, and the
 * item itself, the context for expressions relative to it (the components of a composite).
 */
export interface FhirValue {
  type: string | undefined;
  value: unknown;
  node: unknown;
}

const parsed = new Map<string, FhirPathNode>();

/**
 * Evaluates a search parameter expression (R4 search.html#table) on `context`, which is the
 * resource or the `node` of one repetition of a composite parameter, and returns the typed
 * items. `%resource` is `resource`. Each expression is parsed once, on first use.
 *
 * `X as T` and `X.as(T)` keep the items of type T, as `ofType(T)` does: FHIRPath would fail for
 * an X with several items (`Observation.component.value as Quantity`), but search means "the
 * items of type T". A union keeps repeated values, and `convertItems` removes them after
 * conversion. Throws for syntax or functions outside the supported subset.
 */
export function evaluateExpression(expression: string, context: unknown, resource: Resource): FhirValue[] {
  let node = parsed.get(expression);
  if (node === undefined) {
    node = parseFhirPath(expression);
    parsed.set(expression, node);
  }

  const focus = context instanceof TypedValue ? context : resourceValue(context);
  const items = evaluateNode(node, [focus], { resource: resourceValue(resource) });
  return items.map((item) => ({ type: fhirTypeName(item.type), value: item.value, node: item }));
}

/** Splits a FHIRPath expression at the `|` operators outside brackets and string literals. */
export function splitUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const char = expression[i];
    if (char === "'" && expression[i - 1] !== "\\") quoted = !quoted;
    if (quoted) continue;
    if (char === "(") depth++;
    else if (char === ")") depth--;
    else if (char === "|" && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((part) => part !== "");
}
