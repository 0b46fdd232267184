import type { Resource } from "fhir/r4";
import { IDENTIFIER_PATHS } from "../generated/search-parameters.ts";
import type { TokenValue } from "./request.ts";

/** A token as indexed: the system ("" when the element has none) and the code or value. */
export interface IndexedToken {
  system: string;
  code: string;
}

/** Reports whether a resource type has the R4 `identifier` search parameter. */
export function hasIdentifierParameter(resourceType: string): boolean {
  return IDENTIFIER_PATHS[resourceType] !== undefined;
}

/**
 * Extracts the Identifier tokens that the R4 `identifier` search parameter of the resource's
 * type selects. Identifiers without a value are skipped, because no token search can match them.
 */
export function extractIdentifierTokens(resource: Resource): IndexedToken[] {
  const paths = IDENTIFIER_PATHS[resource.resourceType] ?? [];
  const tokens: IndexedToken[] = [];
  for (const path of paths) {
    for (const identifier of collect(resource, path.split("."))) {
      if (typeof identifier !== "object" || identifier === null) continue;
      const { system, value } = identifier as { system?: unknown; value?: unknown };
      if (typeof value !== "string") continue;
      tokens.push({ system: typeof system === "string" ? system : "", code: value });
    }
  }
  return tokens;
}

/** Follows a dotted element path, flattening arrays on the way. */
function collect(value: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [value];
  for (const element of path) {
    const next: unknown[] = [];
    for (const item of current) {
      const child = typeof item === "object" && item !== null ? (item as Record<string, unknown>)[element] : undefined;
      if (Array.isArray(child)) next.push(...child);
      else if (child !== undefined) next.push(child);
    }
    current = next;
  }
  return current;
}

/** Tests one indexed token against one search value (R4 search.html#token). */
export function tokenMatches(token: IndexedToken, value: TokenValue): boolean {
  if (value.system !== undefined && token.system !== value.system) return false;
  return value.code === undefined || token.code === value.code;
}
