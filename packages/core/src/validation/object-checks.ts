/** Checks on one JSON object that the walker runs besides descending into its properties. */
import type { ValidationContext } from "./context.ts";
import { quote } from "./messages.ts";
import type { Property, TypeSchema } from "./schema.ts";

export type JsonObject = Record<string, unknown>;

/** Returns whether a value is a JSON object (not null and not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Returns whether any of the named properties is present, as a value or as null. */
export function hasAnyProperty(object: JsonObject, names: readonly string[]): boolean {
  for (const name of names) {
    if (object[name] !== undefined) return true;
  }
  return false;
}

/** Reports a second type of the same choice element, such as valueString next to valueQuantity. */
export function checkSingleChoice(context: ValidationContext, choicesSeen: readonly Property[], property: Property): void {
  for (const seen of choicesSeen) {
    if (seen.element === property.element && seen.baseName !== property.baseName) {
      context.report(
        "structure",
        `Only one type of choice element ${property.element} is allowed, ` +
          `but both ${seen.baseName} and ${property.baseName} are present`,
      );
      return;
    }
  }
}

/**
 * Reports a property that the definition does not have. When the name starts with a choice
 * element's prefix and an uppercase letter (`valueFoo`), the message names the choice element.
 */
export function reportUnknownProperty(context: ValidationContext, key: string, schema: TypeSchema): void {
  const parent = context.expression();
  context.pushUnknown(key);

  let message = `Unknown element ${quote(key)} in ${parent}`;
  for (const choice of schema.choices) {
    const typeName = key.slice(choice.prefix.length);
    if (key.startsWith(choice.prefix) && isUpperCaseLetter(typeName.charCodeAt(0))) {
      message += `: choice element ${choice.element} does not allow type ${quote(typeName)}`;
      break;
    }
  }
  context.report("structure", message);
  context.pop();
}

function isUpperCaseLetter(code: number): boolean {
  return code >= 65 && code <= 90;
}
