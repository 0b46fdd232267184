/**
 * Typed navigation of FHIR JSON for FHIRPath: the child elements of an item and their FHIR types,
 * read from the generated R4 definitions.
 */
import { CONSTRAINED_TYPES, DEFINITIONS, RESOURCE_TYPES, type CompactElement } from "../../../generated/definitions.ts";

/**
 * One item of a FHIRPath collection: a JSON value and its type, which is a FHIR type name
 * (`Quantity`, `dateTime`, `Patient`) or, for a backbone element, its key in `DEFINITIONS`
 * (`Observation.component`).
 */
export class TypedValue {
  constructor(
    readonly type: string,
    readonly value: unknown,
  ) {}
}

/**
 * The base type of each R4 datatype that specializes another one, so that
 * `ofType(Quantity)` selects an Age and `ofType(uri)` a canonical (R4 datatypes.html, whose type
 * hierarchy FHIRPath's `is` follows, N1 section 6.3).
 */
const BASE_TYPES: Readonly<Record<string, string>> = {
  Age: "Quantity",
  Count: "Quantity",
  Distance: "Quantity",
  Duration: "Quantity",
  code: "string",
  id: "string",
  markdown: "string",
  canonical: "uri",
  oid: "uri",
  url: "uri",
  uuid: "uri",
  positiveInt: "integer",
  unsignedInt: "integer",
};

/**
 * Returns the FHIR type name of an item's type: a backbone element of a resource is a
 * `BackboneElement` and one of a datatype (`Timing.repeat`) an `Element`, as R4 types them.
 */
export function fhirTypeName(type: string): string {
  const dot = type.indexOf(".");
  if (dot === -1) return type;
  return RESOURCE_TYPES.includes(type.slice(0, dot)) ? "BackboneElement" : "Element";
}

/** Returns the item for a resource, typed by its `resourceType`. */
export function resourceValue(resource: unknown): TypedValue {
  const resourceType = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof resourceType !== "string") throw new Error("Invalid resource: resourceType is missing.");
  return new TypedValue(resourceType, resource);
}

/** Tells whether an item's type is `expected` or one of its specializations. */
export function isOfType(type: string, expected: string): boolean {
  for (let current: string | undefined = fhirTypeName(type); current !== undefined; current = BASE_TYPES[current]) {
    if (current === expected) return true;
  }
  return false;
}

/** One JSON form of an element: its property name and FHIR type (`valueQuantity` and `Quantity`). */
export interface ElementForm {
  property: string;
  type: string;
}

/**
 * Returns the JSON forms of the child element `name` of a type: one for a plain element, and one
 * per type for a choice element `value[x]`, whose property is `value` followed by the type name
 * (R4 formats.html#choice). Returns undefined for a type without a definition (a primitive or an
 * unknown `resourceType`), which has no child elements to read.
 *
 * Throws when the type has a definition without that element, which means that the expression
 * names an element that R4 does not have.
 */
export function elementForms(parentType: string, name: string): ElementForm[] | undefined {
  const definition = DEFINITIONS[parentType];
  if (definition === undefined) return undefined;

  const element = definition[name];
  if (element !== undefined) return [{ property: name, type: elementType(element) }];

  const choice = definition[`${name}[x]`];
  if (choice === undefined) throw new Error(`Invalid FHIRPath element: ${parentType} has no element ${name}.`);
  const types = typeof choice.t === "string" ? [choice.t] : choice.t;
  return types.map((definedType) => {
    const type = datatypeOf(definedType);
    return { property: name + capitalize(type), type };
  });
}

/**
 * Returns the values of the child element `name` of an item, typed by the definitions (N1
 * section 4.1, "Paths and polymorphic items"). A repeating element gives one item per entry, and
 * a missing element none. A choice element `value[x]` gives the `value[X]` that is present with
 * the type X. Entries that are null, as in `"given": [null, "Jo"]` beside `_given`, are
 * extensions of primitives without a value and give no item. Throws as `elementForms` does.
 */
export function childValues(parent: TypedValue, name: string): TypedValue[] {
  if (typeof parent.value !== "object" || parent.value === null || Array.isArray(parent.value)) return [];
  const forms = elementForms(parent.type, name);
  if (forms === undefined) return [];

  const json = parent.value as Record<string, unknown>;
  const values: TypedValue[] = [];
  for (const { property, type } of forms) values.push(...typedEntries(json[property], type));
  return values;
}

/** Returns the type of an element that is not a choice. */
function elementType(element: CompactElement): string {
  if (typeof element.t !== "string") throw new Error(`Invalid definition: expected one type, got ${element.t.join(", ")}.`);
  return datatypeOf(element.t);
}

/**
 * Returns the datatype of a type code. The definitions type some elements with a profile of a
 * datatype (`Range.low` is a SimpleQuantity), whose values are of the datatype itself (Quantity,
 * R4 datatypes.html#SimpleQuantity).
 */
function datatypeOf(typeCode: string): string {
  return CONSTRAINED_TYPES[typeCode] ?? typeCode;
}

/**
 * Types each entry of an element's JSON value. An element of type `Resource` (`contained`,
 * `Bundle.entry.resource`) contains any resource, whose type is its `resourceType` when it has one.
 */
function typedEntries(json: unknown, type: string): TypedValue[] {
  if (json === undefined || json === null) return [];
  const entries = Array.isArray(json) ? json : [json];
  const values: TypedValue[] = [];
  for (const entry of entries) {
    if (entry === null || entry === undefined) continue;
    const resourceType = type === "Resource" ? (entry as { resourceType?: unknown }).resourceType : undefined;
    values.push(new TypedValue(typeof resourceType === "string" ? resourceType : type, entry));
  }
  return values;
}

function capitalize(type: string): string {
  return type.charAt(0).toUpperCase() + type.slice(1);
}
