import type { SearchParameterDefinition } from "../model.ts";

/**
 * Converts a UCUM quantity to its canonical form (base units), or returns `undefined` when the
 * code is not a UCUM unit it can convert. The parser calls it once for each of the value and
 * the two bounds of its implicit range.
 */
export type Canonicalize = (value: number, code: string) => { value: number; code: string } | undefined;

/** Lookups and settings that every step of parsing one search needs. */
export interface ParseContext {
  /** Search parameters of a resource type, or `undefined` for a type that cannot be searched. */
  definitions: (resourceType: string) => readonly SearchParameterDefinition[] | undefined;
  /** Base URL of this server, so that absolute references to it are read as local `Type/id`. */
  baseUrl?: string;
  canonicalize?: Canonicalize;
}

const indexes = new WeakMap<readonly SearchParameterDefinition[], Map<string, SearchParameterDefinition>>();

/** Finds the definition of a parameter code for a resource type, indexing each list once. */
export function findDefinition(
  context: ParseContext,
  resourceType: string,
  code: string,
): SearchParameterDefinition | undefined {
  const list = context.definitions(resourceType);
  if (list === undefined) return undefined;

  let index = indexes.get(list);
  if (index === undefined) {
    index = new Map(list.map((definition) => [definition.code, definition]));
    indexes.set(list, index);
  }
  return index.get(code);
}

/** Reports whether a resource type has search parameters, that is, whether it can be searched. */
export function isSearchableType(context: ParseContext, resourceType: string): boolean {
  return context.definitions(resourceType) !== undefined;
}
