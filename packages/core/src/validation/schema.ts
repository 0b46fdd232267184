/**
 * Lookup tables over the generated R4 definitions, keyed by JSON property name.
 *
 * Each definition's table is built on first use and cached, so a choice element such as
 * `value[x]` is expanded once into `valueQuantity`, `valueString` and its other variants,
 * and each primitive element `x` gets its `_x` companion (R4 json.html#primitive).
 */
import {
  CONSTRAINED_TYPES,
  DEFINITIONS,
  PRIMITIVE_TYPES,
  RESOURCE_TYPES,
  type CompactElement,
} from "../generated/definitions.ts";

/** Category of a property's type, which selects the check of its JSON value. */
export type TypeKind = "primitive" | "complex" | "resource";

/** One JSON property that a definition allows. */
export interface Property {
  /** Element name in the definition, such as `given` or `value[x]`. */
  readonly element: string;
  /** Property name without the leading underscore, such as `given` or `valueQuantity`. */
  readonly baseName: string;
  /** Type code: a primitive, a key of `DEFINITIONS`, `Resource` or a resource type. */
  readonly type: string;
  readonly kind: TypeKind;
  readonly repeating: boolean;
  readonly choice: boolean;
  /** True for `_x`, which contains the id and extensions of primitive element `x`. */
  readonly primitiveElement: boolean;
  /** The other property of a primitive pair: `_given` for `given`, and `given` for `_given`. */
  readonly partner: string;
}

/** A required element and the JSON properties any one of which satisfies it. */
export interface RequiredElement {
  /** Element name in the definition, such as `status` or `medication[x]`. */
  readonly element: string;
  /** Name in a FHIRPath expression: the element name without `[x]`. */
  readonly pathName: string;
  readonly properties: readonly string[];
}

/** A choice element, kept to explain an unknown property such as `valueFoo`. */
export interface ChoiceElement {
  readonly element: string;
  readonly prefix: string;
  readonly allowed: readonly string[];
}

export interface TypeSchema {
  readonly name: string;
  readonly properties: ReadonlyMap<string, Property>;
  readonly required: readonly RequiredElement[];
  readonly choices: readonly ChoiceElement[];
}

/** Definition of the `_x` object of a primitive, which may contain only `id` and `extension`. */
export const PRIMITIVE_ELEMENT_KEY = "Element";

const resourceTypes = new Set(RESOURCE_TYPES);
const primitiveTypes = new Set(PRIMITIVE_TYPES);
const schemaCache = new Map<string, TypeSchema>();

/** Returns whether `name` is a concrete R4 resource type, such as `Patient` (not `Resource` or `DomainResource`). */
export function isResourceType(name: string): boolean {
  return resourceTypes.has(name);
}

/** Returns the kind of a type code from the generated definitions. */
export function kindOfType(type: string): TypeKind {
  if (primitiveTypes.has(type)) return "primitive";
  if (type === "Resource" || resourceTypes.has(type)) return "resource";
  return "complex";
}

/** Returns the JSON name suffix of a choice type: `valueQuantity` for Quantity and for SimpleQuantity. */
export function choiceSuffix(type: string): string {
  const base = CONSTRAINED_TYPES[type] ?? type;
  return base.charAt(0).toUpperCase() + base.slice(1);
}

/**
 * Returns the property table of a resource type, datatype or backbone element key
 * (`Patient`, `HumanName`, `Patient.contact`), or undefined for an unknown key.
 */
export function getTypeSchema(key: string): TypeSchema | undefined {
  const cached = schemaCache.get(key);
  if (cached !== undefined) return cached;
  if (!Object.hasOwn(DEFINITIONS, key)) return undefined;
  const definition = DEFINITIONS[key];
  if (definition === undefined) return undefined;

  const schema = buildSchema(key, definition);
  schemaCache.set(key, schema);
  return schema;
}

function buildSchema(name: string, definition: Readonly<Record<string, CompactElement>>): TypeSchema {
  const properties = new Map<string, Property>();
  const required: RequiredElement[] = [];
  const choices: ChoiceElement[] = [];

  for (const [element, elementDefinition] of Object.entries(definition)) {
    const choice = element.endsWith("[x]");
    const types = typeof elementDefinition.t === "string" ? [elementDefinition.t] : elementDefinition.t;
    const prefix = choice ? element.slice(0, -3) : element;
    const repeating = elementDefinition.max === "*";
    const names: string[] = [];

    for (const type of types) {
      const baseName = choice ? prefix + choiceSuffix(type) : element;
      const kind = kindOfType(type);
      const underscored = `_${baseName}`;
      const common = { element, baseName, type, kind, repeating, choice };
      properties.set(baseName, { ...common, primitiveElement: false, partner: underscored });
      names.push(baseName);
      // The xhtml of Narrative.div has no id or extensions (R4 narrative.html), so no `_div`.
      if (kind === "primitive" && type !== "xhtml") {
        properties.set(underscored, { ...common, primitiveElement: true, partner: baseName });
        names.push(underscored);
      }
    }

    if (elementDefinition.min === 1) required.push({ element, pathName: prefix, properties: names });
    if (choice) choices.push({ element, prefix, allowed: names.filter((property) => !property.startsWith("_")) });
  }
  return { name, properties, required, choices };
}
