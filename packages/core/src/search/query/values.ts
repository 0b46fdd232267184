/** Parsing of a parameter's value into typed alternatives, dispatched on the parameter type. */
import type { Modifier, QueryValue, SearchParameterDefinition, SearchParameterType } from "../model.ts";
import type { ParseContext } from "./context.ts";
import { parseDateValue } from "./date.ts";
import { invalidValue, notSupported } from "./errors.ts";
import { splitUnescaped, unescapeValue } from "./escape.ts";
import { parseNumberValue } from "./number.ts";
import { parseQuantityValue } from "./quantity.ts";
import { parseReferenceIdentifier, parseReferenceValue } from "./reference.ts";
import { parseStringValue } from "./string.ts";
import { parseTokenOfType, parseTokenText, parseTokenValue } from "./token.ts";
import { parseUriValue } from "./uri.ts";

export interface ParsedValues {
  values: QueryValue[];
  /** Value of a `:missing` clause: true selects resources without a value. */
  missing?: boolean;
}

/**
 * Parses the value of one parameter occurrence into its alternatives (R4 search.html#combining):
 * the value is split at unescaped commas, and each part is parsed by the parameter's type and
 * modifier. `parameter` is the name as the client wrote it, for error messages.
 */
export function parseClauseValues(
  definition: SearchParameterDefinition,
  modifier: Modifier | undefined,
  text: string,
  parameter: string,
  context: ParseContext,
): ParsedValues {
  if (modifier === "missing") {
    if (text !== "true" && text !== "false") throw invalidValue(parameter, text, "the :missing modifier takes true or false");
    return { values: [], missing: text === "true" };
  }

  const alternatives = splitUnescaped(text, ",");
  if (alternatives.some((alternative) => alternative === "")) {
    throw invalidValue(parameter, text, "the value or one of its comma-separated alternatives is empty");
  }
  const values = alternatives.map((alternative) => parseAlternative(definition, definition.type, modifier, alternative, parameter, context));
  return { values };
}

function parseAlternative(
  definition: SearchParameterDefinition,
  type: SearchParameterType,
  modifier: Modifier | undefined,
  text: string,
  parameter: string,
  context: ParseContext,
): QueryValue {
  switch (type) {
    case "string":
      return parseStringValue(unescapeValue(text, parameter));
    case "token":
      if (modifier === "text") return parseTokenText(text, parameter);
      if (modifier === "of-type") return parseTokenOfType(text, parameter);
      return parseTokenValue(text, parameter);
    case "date":
      return parseDateValue(text, parameter);
    case "number":
      return parseNumberValue(text, parameter);
    case "quantity":
      return parseQuantityValue(text, parameter, context.canonicalize);
    case "reference": {
      if (modifier === "identifier") return parseReferenceIdentifier(text, parameter);
      const typeModifier = modifier?.startsWith("type:") === true ? modifier.slice("type:".length) : undefined;
      return parseReferenceValue(text, parameter, { typeModifier, baseUrl: context.baseUrl });
    }
    case "uri":
      return parseUriValue(unescapeValue(text, parameter));
    case "composite":
      return parseCompositeValue(definition, text, parameter, context);
    case "special":
      throw notSupported(`Search parameter "${parameter}" has the type special, which Flint does not support.`);
  }
}

/**
 * Parses a composite value (R4 search.html#composite): the components are separated by unescaped
 * `$` and each is parsed by its own component type, prefixes included.
 */
function parseCompositeValue(
  definition: SearchParameterDefinition,
  text: string,
  parameter: string,
  context: ParseContext,
): QueryValue {
  const components = definition.components ?? [];
  const usable = components.length > 0 && components.every((component) => component.type !== "composite" && component.type !== "special");
  if (!usable) throw notSupported(`Composite search parameter "${parameter}" has no components that Flint can search.`);

  const parts = splitUnescaped(text, "$");
  if (parts.length !== components.length) {
    throw invalidValue(parameter, text, `expected ${components.length} components separated by $`);
  }
  if (parts.includes("")) throw invalidValue(parameter, text, "a component of the composite value is empty");
  return {
    type: "composite",
    components: components.map((component, index) =>
      parseAlternative(definition, component.type, undefined, parts[index] ?? "", parameter, context),
    ),
  };
}
