/**
 * Element walker: checks a parsed JSON resource against the generated R4 definitions
 * (http://hl7.org/fhir/R4/json.html and the element tables of each resource and datatype page).
 */
import type { ValidationContext } from "./context.ts";
import { describeJson, quote } from "./messages.ts";
import {
  checkSingleChoice,
  hasAnyProperty,
  isJsonObject,
  reportUnknownProperty,
  type JsonObject,
} from "./object-checks.ts";
import { checkPrimitiveFormat, primitiveJsonType } from "./primitives.ts";
import { getTypeSchema, isResourceType, PRIMITIVE_ELEMENT_KEY, type Property, type TypeSchema } from "./schema.ts";

/**
 * Checks a value that must be a resource: a JSON object whose `resourceType` names a concrete R4
 * resource type (json.html#resources), then each of its elements against that type's definition.
 * `expectedType` restricts the type, as for `Bundle.entry.response.outcome` (OperationOutcome).
 */
export function validateResourceValue(context: ValidationContext, value: unknown, expectedType?: string): void {
  if (!isJsonObject(value)) {
    const found = describeJson(value);
    context.report("structure", `Expected a resource (a JSON object with resourceType) but found ${found}`);
    return;
  }

  const resourceType = value.resourceType;
  if (resourceType === undefined) {
    context.report("required", "Missing resourceType: every resource must name its type in resourceType");
    return;
  }

  context.push("resourceType");
  if (typeof resourceType !== "string") {
    context.report("structure", `Invalid resourceType: expected a JSON string but found ${describeJson(resourceType)}`);
  } else if (!isResourceType(resourceType)) {
    context.report("invalid", `Unknown resourceType ${quote(resourceType)}: not a concrete FHIR R4 resource type`);
  } else if (expectedType !== undefined && resourceType !== expectedType) {
    context.report("structure", `Invalid resourceType ${quote(resourceType)}: this element only allows ${expectedType}`);
  }
  context.pop();

  if (typeof resourceType !== "string" || !isResourceType(resourceType)) return;
  const schema = getTypeSchema(resourceType);
  if (schema === undefined || !context.enterObject()) return;
  validateObject(context, value, schema, schema.name, true);
  context.leaveObject();
}

/** Checks every property of an object against a definition, then the definition's required elements. */
function validateObject(
  context: ValidationContext,
  object: JsonObject,
  schema: TypeSchema,
  name: string,
  isResource: boolean,
): void {
  // Choice properties seen so far, to reject a second variant of the same choice element.
  let choicesSeen: Property[] | undefined;
  let isEmpty = true;

  for (const key of Object.keys(object)) {
    if (context.full) return;
    const value = object[key];
    if (value === undefined) continue;
    isEmpty = false;
    if (isResource && key === "resourceType") continue;

    const property = schema.properties.get(key);
    if (property === undefined) {
      reportUnknownProperty(context, key, schema);
      continue;
    }

    context.push(property.baseName);
    if (property.choice) {
      if (choicesSeen === undefined) choicesSeen = [];
      else checkSingleChoice(context, choicesSeen, property);
      choicesSeen.push(property);
    }
    if (property.primitiveElement) validatePrimitiveElements(context, object, property, value);
    else validateProperty(context, object, property, value);
    context.pop();
  }

  if (isEmpty) {
    const message = `Empty object in ${name}: an element must have a value or child elements (R4 invariant ele-1)`;
    context.report("structure", message);
  }
  for (const required of schema.required) {
    if (!hasAnyProperty(object, required.properties)) {
      context.push(required.pathName);
      context.report("required", `Missing required element ${required.element} in ${schema.name}`);
      context.pop();
    }
  }
}

/**
 * Checks the cardinality shape of one property (json.html#arrays): a repeating element is a
 * non-empty array, a single element is not an array, and null only pads a primitive array
 * whose `_x` array has an entry at that index.
 */
function validateProperty(context: ValidationContext, object: JsonObject, property: Property, value: unknown): void {
  if (!property.repeating) {
    if (Array.isArray(value)) {
      const message = `Element ${property.baseName} has a maximum cardinality of 1 and must not be an array`;
      context.report("structure", message);
    } else if (value === null) {
      context.report("structure", `Element ${property.baseName} is null: omit an element that has no value`);
    } else {
      validateItem(context, property, value);
    }
    return;
  }

  if (!Array.isArray(value)) {
    const found = describeJson(value);
    context.report("structure", `Element ${property.baseName} repeats and must be a JSON array, not ${found}`);
    return;
  }
  if (value.length === 0) {
    context.report("structure", `Element ${property.baseName} is an empty array: omit an element that has no values`);
    return;
  }

  const extensions = property.kind === "primitive" ? object[property.partner] : undefined;
  for (let index = 0; index < value.length; index++) {
    if (context.full) return;
    const item: unknown = value[index];
    context.push(index);
    if (item === null || item === undefined) {
      if (!Array.isArray(extensions) || !isJsonObject(extensions[index])) {
        context.report(
          "structure",
          property.kind === "primitive"
            ? `Null at index ${index} of ${property.baseName}: ` +
                `null is only allowed where ${property.partner} has an entry at the same index`
            : `Null at index ${index} of ${property.baseName}: arrays of complex elements must not contain null`,
        );
      }
    } else {
      validateItem(context, property, item);
    }
    context.pop();
  }
}

/** Checks one value of a property, non-null and already unwrapped from its array. */
function validateItem(context: ValidationContext, property: Property, value: unknown): void {
  switch (property.kind) {
    case "primitive":
      validatePrimitiveValue(context, property.type, value);
      return;
    case "resource":
      validateNestedResource(context, property, value);
      return;
    case "complex": {
      if (!isJsonObject(value)) {
        context.report("structure", `Expected ${property.type} as a JSON object but found ${describeJson(value)}`);
        return;
      }
      const schema = getTypeSchema(property.type);
      if (schema === undefined || !context.enterObject()) return;
      validateObject(context, value, schema, property.baseName, false);
      context.leaveObject();
      return;
    }
  }
}

/** Checks a resource inside an element: `contained`, `Bundle.entry.resource`, `Parameters.parameter.resource`. */
function validateNestedResource(context: ValidationContext, property: Property, value: unknown): void {
  const isContained = property.element === "contained";
  if (isContained && context.insideContained) {
    context.report("structure", "A contained resource must not contain other resources (R4 invariant dom-2)");
    return;
  }
  const wasInsideContained = context.insideContained;
  context.insideContained = isContained;
  validateResourceValue(context, value, property.type === "Resource" ? undefined : property.type);
  context.insideContained = wasInsideContained;
}

/** Checks the JSON type and the format of a primitive value (json.html#primitive, datatypes.html#primitive). */
function validatePrimitiveValue(context: ValidationContext, type: string, value: unknown): void {
  const jsonType = primitiveJsonType(type);
  if (jsonType === undefined) return;
  if (typeof value !== jsonType) {
    context.report("structure", `Invalid ${type}: expected a JSON ${jsonType} but found ${describeJson(value)}`);
    return;
  }
  const problem = checkPrimitiveFormat(type, value as string | number | boolean);
  if (problem !== undefined) context.report("value", problem);
}

/**
 * Checks `_x`, the id and extensions of primitive element `x` (json.html#primitive). For a
 * repeating element both are arrays of the same length, and null marks an index that has only a
 * value or only extensions.
 */
function validatePrimitiveElements(
  context: ValidationContext,
  object: JsonObject,
  property: Property,
  value: unknown,
): void {
  const name = `_${property.baseName}`;
  if (!property.repeating) {
    if (Array.isArray(value) || !isJsonObject(value)) {
      const found = describeJson(value);
      context.report("structure", `Expected ${name} as a JSON object with id or extension but found ${found}`);
      return;
    }
    validatePrimitiveElement(context, value, name);
    return;
  }

  if (!Array.isArray(value)) {
    context.report("structure", `Element ${name} repeats and must be a JSON array, not ${describeJson(value)}`);
    return;
  }
  if (value.length === 0) {
    context.report("structure", `Element ${name} is an empty array: omit an element that has no values`);
    return;
  }
  const values = object[property.baseName];
  if (Array.isArray(values) && values.length !== value.length) {
    context.report(
      "structure",
      `Arrays ${property.baseName} (${values.length} entries) and ${name} (${value.length} entries) ` +
        "must have the same length",
    );
  }

  for (let index = 0; index < value.length; index++) {
    if (context.full) return;
    const item: unknown = value[index];
    context.push(index);
    if (item === null || item === undefined) {
      const primitive: unknown = Array.isArray(values) ? values[index] : undefined;
      if (primitive === null || primitive === undefined) {
        const message = `Null at index ${index} of ${name} and no value at the same index of ${property.baseName}`;
        context.report("structure", message);
      }
    } else if (!isJsonObject(item)) {
      const found = describeJson(item);
      context.report("structure", `Expected an object with id or extension at index ${index} of ${name} but found ${found}`);
    } else {
      validatePrimitiveElement(context, item, name);
    }
    context.pop();
  }
}

function validatePrimitiveElement(context: ValidationContext, value: JsonObject, name: string): void {
  const schema = getTypeSchema(PRIMITIVE_ELEMENT_KEY);
  if (schema === undefined || !context.enterObject()) return;
  validateObject(context, value, schema, name, false);
  context.leaveObject();
}
