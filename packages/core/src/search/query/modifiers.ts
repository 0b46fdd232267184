/** Search modifiers per parameter type (R4 search.html#modifiers). */
import type { Modifier, SearchParameterDefinition, SearchParameterType } from "../model.ts";
import { isSearchableType, type ParseContext } from "./context.ts";
import { echo, invalidSearch, notSupported } from "./errors.ts";

/**
 * Modifiers Flint implements for each type, besides `:missing` (every type except composite,
 * which R4 gives no modifiers) and `:[type]` (reference).
 */
const SUPPORTED_MODIFIERS: Record<SearchParameterType, readonly string[]> = {
  string: ["exact", "contains"],
  token: ["not", "text", "of-type"],
  date: [],
  number: [],
  quantity: [],
  reference: ["identifier"],
  uri: ["below", "above"],
  composite: [],
  special: [],
};

/**
 * Resolves the text after `:` in a parameter name into a modifier for the parameter's type.
 * A modifier that R4 defines but Flint does not implement, such as `:in` or `:below` on a
 * token, is `not-supported`. So is any other text.
 */
export function resolveModifier(
  definition: SearchParameterDefinition,
  modifierText: string | undefined,
  resourceType: string,
  context: ParseContext,
): Modifier | undefined {
  if (modifierText === undefined) return undefined;
  if (definition.type === "composite") {
    throw notSupported(`Composite search parameter "${definition.code}" of ${resourceType} takes no modifiers, so ":${echo(modifierText)}" is not supported.`);
  }
  if (modifierText === "missing") return "missing";
  if (SUPPORTED_MODIFIERS[definition.type].includes(modifierText)) return modifierText as Modifier;
  if (definition.type === "reference" && /^[A-Z]/.test(modifierText)) {
    return `type:${checkTargetType(definition, modifierText, resourceType, context)}`;
  }
  throw notSupported(
    `Modifier ":${echo(modifierText)}" is not supported on the ${definition.type} search parameter "${definition.code}" of ${resourceType}.`,
  );
}

/**
 * Checks that a reference parameter may point to a resource type, and returns the type. A type
 * Flint cannot search is `not-supported`. A searchable type that is not among the parameter's
 * targets is `invalid`, because the search could never match.
 */
export function checkTargetType(
  definition: SearchParameterDefinition,
  resourceType: string,
  sourceType: string,
  context: ParseContext,
): string {
  if (definition.target?.includes(resourceType) === true) return resourceType;
  if (!isSearchableType(context, resourceType)) {
    throw notSupported(`Search parameter "${definition.code}" of ${sourceType}: "${echo(resourceType)}" is not a resource type that Flint can search.`);
  }
  if (definition.target === undefined) return resourceType;
  throw invalidSearch(
    `Search parameter "${definition.code}" of ${sourceType} cannot refer to ${resourceType}. Its target types are ${definition.target.join(", ")}.`,
  );
}
