import { DEFINITIONS } from "./generated/definitions.ts";

const required = new Map<string, readonly string[]>();

/**
 * Tells whether a top-level JSON property of a resource type is a mandatory element (minimum
 * cardinality 1 in R4), including the JSON forms of a mandatory choice such as `valueQuantity`.
 */
export function isRequiredElement(resourceType: string, key: string): boolean {
  let names = required.get(resourceType);
  if (names === undefined) {
    const definition = DEFINITIONS[resourceType] ?? {};
    names = Object.entries(definition).flatMap(([name, element]) => (element.min === 1 ? [name] : []));
    required.set(resourceType, names);
  }
  return names.some((name) => (name.endsWith("[x]") ? key.startsWith(name.slice(0, -3)) : name === key));
}
