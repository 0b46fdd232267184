import { CONSTRAINED_TYPES, DEFINITIONS } from "../generated/definitions.ts";
import { memberText, skipString, skipValue } from "./text.ts";

/** Location of a string value: its R4 type, its property name and the type that owns it. */
export interface StringPlace {
  type: string;
  key: string;
  owner: string;
}

type Replace = (value: string, place: StringPlace) => string | undefined;

/**
 * Replaces string values in the minified JSON text of a resource, telling the callback each
 * value's R4 type from the StructureDefinitions (for example `uri`, `string`, `xhtml`), so that a
 * caller can rewrite URIs without touching a string that merely looks like one, such as an
 * `Identifier.value`. Nested resources (`contained`, `Bundle.entry.resource`) are typed by their
 * own `resourceType`. Values under unknown properties are left alone.
 */
export function replaceTypedStrings(text: string, replace: Replace): string {
  const type = resourceTypeOf(text);
  if (type === undefined) return text;
  return new TypedRewriter(text, replace).run(type);
}

function resourceTypeOf(objectText: string): string | undefined {
  const raw = memberText(objectText, "resourceType");
  if (raw === undefined || !raw.startsWith('"')) return undefined;
  const name = JSON.parse(raw) as string;
  return DEFINITIONS[name] === undefined ? undefined : name;
}

/** Resolves the type of property `key` of `owner`, including choice forms such as `valueUri`. */
function propertyType(owner: string, key: string): string | undefined {
  const definition = DEFINITIONS[CONSTRAINED_TYPES[owner] ?? owner];
  if (definition === undefined) return undefined;
  const element = definition[key];
  if (element !== undefined) return typeof element.t === "string" ? element.t : undefined;
  for (const [name, choice] of Object.entries(definition)) {
    if (!name.endsWith("[x]") || !key.startsWith(name.slice(0, -3))) continue;
    const suffix = key.slice(name.length - 3);
    const types = typeof choice.t === "string" ? [choice.t] : choice.t;
    const match = types.find((candidate) => candidate[0]!.toUpperCase() + candidate.slice(1) === suffix);
    if (match !== undefined) return match;
  }
  return undefined;
}

/** Walks the text with the type of each value known, copying it to the output with replacements. */
class TypedRewriter {
  readonly #parts: string[] = [];
  #copied = 0;

  constructor(
    private readonly text: string,
    private readonly replace: Replace,
  ) {}

  run(rootType: string): string {
    this.#object(0, rootType);
    if (this.#copied === 0) return this.text;
    this.#parts.push(this.text.slice(this.#copied));
    return this.#parts.join("");
  }

  #object(start: number, owner: string): number {
    const text = this.text;
    let index = start + 1;
    while (text[index] === '"') {
      const keyEnd = skipString(text, index);
      const key = JSON.parse(text.slice(index, keyEnd)) as string;
      const type = key.startsWith("_") ? undefined : propertyType(owner, key);
      const valueEnd = this.#value(keyEnd + 1, type, key, owner);
      index = text[valueEnd] === "," ? valueEnd + 1 : valueEnd;
    }
    return index + 1;
  }

  #value(start: number, type: string | undefined, key: string, owner: string): number {
    const text = this.text;
    const first = text[start];
    if (type === undefined) return skipValue(text, start);
    if (first === "[") {
      let index = start + 1;
      if (text[index] === "]") return index + 1;
      for (;;) {
        const end = this.#value(index, type, key, owner);
        if (text[end] !== ",") return end + 1;
        index = end + 1;
      }
    }
    if (first === "{") {
      const objectType = type === "Resource" ? resourceTypeOf(text.slice(start, skipValue(text, start))) : type;
      return objectType === undefined ? skipValue(text, start) : this.#object(start, objectType);
    }
    if (first !== '"') return skipValue(text, start);

    const end = skipString(text, start);
    const raw = text.slice(start, end);
    const value = raw.includes("\\") ? (JSON.parse(raw) as string) : raw.slice(1, -1);
    const replacement = this.replace(value, { type, key, owner });
    if (replacement !== undefined) {
      this.#parts.push(text.slice(this.#copied, start), JSON.stringify(replacement));
      this.#copied = end;
    }
    return end;
  }
}
