/**
 * The former run-time evaluator of search expressions, on fhirpath.js and its R4 model, kept for
 * tests as the reference that Flint's own evaluator (`evaluate.ts`) is compared with. Only test
 * files import this module, so fhirpath.js stays out of the server and the Lambda bundle.
 */
import fhirpath from "fhirpath";
import type { UserInvocationTable } from "fhirpath";
import r4Model from "fhirpath/fhir-context/r4";
import type { Resource } from "fhir/r4";
import { splitUnion, type FhirValue } from "./evaluate.ts";
import { referenceTargetType } from "./reference.ts";

type CompiledPart = (context: unknown, variables?: Record<string, unknown>) => unknown[];

interface CompiledExpression {
  parts: Array<{ evaluate: CompiledPart; usesResource: boolean }>;
}

/** FHIRPath System types that fhirpath.js reports for some elements (`Resource.id` is `System.String`). */
const SYSTEM_TYPES: Readonly<Record<string, string>> = {
  "System.String": "string",
  "System.Boolean": "boolean",
  "System.Integer": "integer",
  "System.Decimal": "decimal",
  "System.Date": "date",
  "System.DateTime": "dateTime",
  "System.Time": "time",
};

/**
 * Replaces `resolve()` in `where(resolve() is Patient)`. The reference is not fetched: its target
 * type is read from the reference text (`Patient/1`, `http://host/fhir/Patient/1`) or from
 * `Reference.type`, which is what these R4 expressions test.
 */
const invocationTable: UserInvocationTable = {
  refersTo: {
    fn: (references: unknown[], resourceType: string) => references.map((reference) => referenceTargetType(fhirpath.util.valData(reference)) === resourceType),
    arity: { 1: ["String"] },
  },
};

const compiled = new Map<string, CompiledExpression>();

/**
 * Evaluates a search parameter expression with fhirpath.js on `context` (the resource, or the
 * `node` of one repetition that this function returned) and returns the typed items.
 * `%resource` is `resource`.
 */
export function evaluateWithFhirpathJs(expression: string, context: unknown, resource: Resource): FhirValue[] {
  let expressionParts = compiled.get(expression);
  if (expressionParts === undefined) {
    expressionParts = compileExpression(expression);
    compiled.set(expression, expressionParts);
  }

  const items: FhirValue[] = [];
  for (const { evaluate, usesResource } of expressionParts.parts) {
    const result = usesResource ? evaluate(context, { resource }) : evaluate(context);
    for (const item of result) items.push(toFhirValue(item));
  }
  return items;
}

/**
 * Compiles each part of a union separately, so that one part's values do not have to be compared
 * with another's: fhirpath.js removes duplicates from a union by comparing values, which throws
 * for a Quantity with a comparator (`<5 mg`).
 */
function compileExpression(expression: string): CompiledExpression {
  const parts = splitUnion(expression).map((part) => {
    const rewritten = rewriteForSearch(part);
    return {
      evaluate: fhirpath.compile(rewritten, r4Model, { resolveInternalTypes: false, userInvocationTable: invocationTable }) as CompiledPart,
      usesResource: rewritten.includes("%resource"),
    };
  });
  return { parts };
}

/**
 * Rewrites the forms that R4 search expressions use loosely. `X as T` and `X.as(T)` must fail
 * in FHIRPath when X has several items (`Observation.component.value as Quantity`); search means
 * "the items of type T", which is `ofType(T)`. `resolve() is T` is replaced by `refersTo('T')`.
 */
export function rewriteForSearch(part: string): string {
  const rewritten = part
    .replace(/\(([^()]+?) as ([A-Za-z]+)\)/g, "($1.ofType($2))")
    .replace(/\.as\(([A-Za-z]+)\)/g, ".ofType($1)")
    .replace(/resolve\(\) is ([A-Za-z]+)/g, "refersTo('$1')");
  if (/\bas\b|resolve\(\)/.test(rewritten.replace(/'[^']*'/g, ""))) {
    throw new Error(`The search expression "${part}" uses "as" or resolve() in a form that the extraction does not rewrite.`);
  }
  return rewritten;
}

/**
 * Reads the type and JSON value of one result item. fhirpath.js returns a ResourceNode for each
 * element of the resource, whose data is the JSON value except for integers and decimals, which
 * it wraps in FP_Decimal. Computed results such as the boolean of
 * `Patient.deceased.exists() and Patient.deceased != false` are plain values.
 */
function toFhirValue(item: unknown): FhirValue {
  if (typeof item === "object" && item !== null && "fhirNodeDataType" in item && "data" in item) {
    const type = (item as { fhirNodeDataType: unknown }).fhirNodeDataType;
    const name = typeof type === "string" ? (SYSTEM_TYPES[type] ?? type.replace(/^FHIR\./, "")) : undefined;
    const data = (item as { data: unknown }).data;
    const value = data instanceof fhirpath.FP_Decimal ? data.toNumber() : data;
    return { type: name, value, node: item };
  }
  const value: unknown = fhirpath.resolveInternalTypes(item);
  switch (typeof value) {
    case "boolean":
      return { type: "boolean", value, node: item };
    case "number":
      return { type: Number.isInteger(value) ? "integer" : "decimal", value, node: item };
    case "string":
      return { type: "string", value, node: item };
    default:
      return { type: undefined, value, node: item };
  }
}
