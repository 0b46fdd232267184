/** Values of `composite` search parameters (R4 search.html#composite). */
import type { Resource } from "fhir/r4";
import type { IndexValue, SearchParameterDefinition } from "../model.ts";
import { convertItems, type SimpleParameterType } from "./convert.ts";
import { evaluateExpression } from "./evaluate.ts";

/**
 * Extracts a composite parameter: the expression selects the repetitions (the Observation, each
 * `Observation.component`, …), and each component's expression is evaluated on one repetition,
 * so that `code-value-quantity` pairs a code with the value beside it. A repetition that lacks
 * a value for some component can match no query and adds nothing.
 */
export function extractComposite(definition: SearchParameterDefinition, resource: Resource): IndexValue[] {
  const components = (definition.components ?? []).map(({ code, type, expression }) => {
    if (!isSimpleType(type)) throw new Error(`Invalid composite component ${code}: the type ${type} cannot be a component.`);
    return { type, expression };
  });
  if (components.length === 0) return [];

  const values: IndexValue[] = [];
  for (const repetition of evaluateExpression(definition.expression, resource, resource)) {
    const componentValues: IndexValue[][] = [];
    for (const component of components) {
      const items = evaluateExpression(component.expression, repetition.node, resource);
      const converted = convertItems(component.type, items);
      if (converted.length === 0) break;
      componentValues.push(converted);
    }
    if (componentValues.length === components.length) values.push({ type: "composite", components: componentValues });
  }
  return values;
}

function isSimpleType(type: SearchParameterDefinition["type"]): type is SimpleParameterType {
  return type !== "composite" && type !== "special";
}
