/**
 * Evaluation of parsed FHIRPath expressions (http://hl7.org/fhirpath/N1) on typed FHIR JSON.
 * Every result is a collection, an array of typed items, and a missing element gives an empty one.
 */
import { referenceTargetType } from "../reference.ts";
import { childValues, isOfType, TypedValue } from "./elements.ts";
import type { FhirPathNode } from "./parse.ts";

/** The environment of an evaluation: the resource that `%resource` stands for. */
export interface Environment {
  resource: TypedValue;
}

/**
 * Evaluates a node on the focus collection, which is the input of the expression or, inside
 * `where`, the one item being tested.
 *
 * Throws where FHIRPath defines an error: an operator that needs one item gets several (N1
 * section 4.5, "Singleton evaluation of collections"), or a path names an element that the
 * item's type does not have.
 */
export function evaluateNode(node: FhirPathNode, focus: readonly TypedValue[], environment: Environment): TypedValue[] {
  switch (node.kind) {
    case "focus":
      return [...focus];
    case "resource":
      return [environment.resource];
    case "literal":
      return [new TypedValue(typeof node.value === "string" ? "string" : "boolean", node.value)];
    case "typeName":
      return focus.filter((item) => isOfType(item.type, node.name));
    case "member":
      return evaluateNode(node.source, focus, environment).flatMap((item) => childValues(item, node.name));
    case "index":
      return evaluateNode(node.source, focus, environment).slice(node.index, node.index + 1);
    case "first":
      return evaluateNode(node.source, focus, environment).slice(0, 1);
    case "ofType":
      return evaluateNode(node.source, focus, environment).filter((item) => isOfType(item.type, node.type));
    case "is":
      return testSingleton(evaluateNode(node.source, focus, environment), (item) => isOfType(item.type, node.type));
    case "referenceIs":
      return testSingleton(evaluateNode(node.source, focus, environment), (item) => referenceTargetType(item.value) === node.type);
    case "where":
      return evaluateWhere(node.source, node.criteria, focus, environment);
    case "exists":
      return [booleanValue(evaluateNode(node.source, focus, environment).length > 0)];
    case "union":
      return [...evaluateNode(node.left, focus, environment), ...evaluateNode(node.right, focus, environment)];
    case "equals":
      return evaluateEquality(node.left, node.right, node.negated, focus, environment);
    case "and":
      return evaluateAnd(node.left, node.right, focus, environment);
  }
}

/**
 * Evaluates `where(criteria)`, which keeps the items for which the criteria give `true`. The
 * criteria are evaluated with the item as focus, and an empty result drops the item (N1
 * section 5.2, "Filtering and projection").
 */
function evaluateWhere(source: FhirPathNode, criteria: FhirPathNode, focus: readonly TypedValue[], environment: Environment): TypedValue[] {
  return evaluateNode(source, focus, environment).filter((item) => {
    const result = evaluateNode(criteria, [item], environment);
    return toBoolean(result, "where") === true;
  });
}

/**
 * Evaluates `=` and `!=` on primitives (N1 section 6.1, "Equality"): empty when either side is
 * empty, otherwise whether the values are equal. Values of different types, such as the dateTime and
 * the boolean of `Patient.deceased != false`, are not equal.
 * NOTE: a string compares with a date or dateTime as text, without FHIRPath's precision rules,
 * and complex values are rejected. The R4 search expressions compare only codes and booleans.
 */
function evaluateEquality(left: FhirPathNode, right: FhirPathNode, negated: boolean, focus: readonly TypedValue[], environment: Environment): TypedValue[] {
  const leftValue = singletonValue(evaluateNode(left, focus, environment), "=");
  const rightValue = singletonValue(evaluateNode(right, focus, environment), "=");
  if (leftValue === undefined || rightValue === undefined) return [];
  return [booleanValue((leftValue === rightValue) !== negated)];
}

/**
 * Evaluates `and` with FHIRPath's three-valued logic (N1 section 6.5.1): false when either side is false,
 * true when both are true, and empty otherwise.
 */
function evaluateAnd(left: FhirPathNode, right: FhirPathNode, focus: readonly TypedValue[], environment: Environment): TypedValue[] {
  const leftValue = toBoolean(evaluateNode(left, focus, environment), "and");
  const rightValue = toBoolean(evaluateNode(right, focus, environment), "and");
  if (leftValue === false || rightValue === false) return [booleanValue(false)];
  if (leftValue === true && rightValue === true) return [booleanValue(true)];
  return [];
}

/** Applies a type test (`is`, `resolve() is T`) to the one item of a collection. An empty collection stays empty. */
function testSingleton(items: readonly TypedValue[], test: (item: TypedValue) => boolean): TypedValue[] {
  if (items.length === 0) return [];
  if (items.length > 1) throw new Error(`Invalid FHIRPath evaluation: "is" expects one item, got ${items.length}.`);
  return [booleanValue(test(items[0]!))];
}

/** Returns the primitive value of a collection of one item, or undefined for an empty one. */
function singletonValue(items: readonly TypedValue[], operator: string): string | number | boolean | undefined {
  if (items.length === 0) return undefined;
  if (items.length > 1) throw new Error(`Invalid FHIRPath evaluation: "${operator}" expects one item, got ${items.length}.`);
  const { type, value } = items[0]!;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  throw new Error(`Unsupported FHIRPath evaluation: "${operator}" on the complex type ${type}.`);
}

/**
 * Converts a collection to a boolean where one is expected (N1 section 4.5): empty gives
 * undefined, one boolean its value, and one item of another type true.
 */
function toBoolean(items: readonly TypedValue[], operator: string): boolean | undefined {
  if (items.length === 0) return undefined;
  if (items.length > 1) throw new Error(`Invalid FHIRPath evaluation: "${operator}" expects one item, got ${items.length}.`);
  const { value } = items[0]!;
  return typeof value === "boolean" ? value : true;
}

function booleanValue(value: boolean): TypedValue {
  return new TypedValue("boolean", value);
}
