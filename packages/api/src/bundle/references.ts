import type { Resource } from "fhir/r4";
import { FhirError, isResourceType, matchesClauses, replaceStrings } from "@flint/core";
import type { FhirRepository } from "@flint/repository";
import { findMatches, parseCriteria } from "../interactions/conditional.ts";

/** A resource that the bundle itself will create or update, for matching conditional references. */
export interface BundleResource {
  resourceType: string;
  id: string;
  resource: Resource;
}

/** Reports whether a reference is a search URL such as `Patient?identifier=a|1` (R4 http.html#trules). */
export function isConditionalReference(value: string): boolean {
  const question = value.indexOf("?");
  return question > 0 && isResourceType(value.slice(0, question));
}

/**
 * Resolves conditional references to `Type/id`. Each must match exactly one resource, counting
 * stored resources and those the same bundle creates or updates; none or several is an error.
 */
export async function resolveConditionalReferences(
  repository: FhirRepository,
  references: Iterable<string>,
  inBundle: readonly BundleResource[],
): Promise<Map<string, string>> {
  const resolved = new Map<string, string>();
  for (const reference of references) {
    if (resolved.has(reference)) continue;
    const question = reference.indexOf("?");
    const resourceType = reference.slice(0, question);
    const criteria = parseCriteria(resourceType, reference.slice(question + 1), `Conditional reference "${reference.slice(0, 100)}"`);

    const ids = new Set((await findMatches(repository, criteria)).map((match) => match.id));
    for (const candidate of inBundle) {
      if (candidate.resourceType === resourceType && matchesClauses(candidate.resource, criteria.clauses)) ids.add(candidate.id);
    }
    if (ids.size !== 1) {
      const found = ids.size === 0 ? "no resource" : "more than one resource";
      throw new FhirError(ids.size === 0 ? "not-found" : "multiple-matches", `Conditional reference "${reference.slice(0, 100)}" matches ${found}; it must match exactly one.`);
    }
    resolved.set(reference, `${resourceType}/${[...ids][0]}`);
  }
  return resolved;
}

/** Collects the conditional references of resource text (values of `reference` elements). */
export function collectConditionalReferences(text: string): Set<string> {
  const found = new Set<string>();
  replaceStrings(text, (value, key) => {
    if (key === "reference" && isConditionalReference(value)) found.add(value);
    return undefined;
  });
  return found;
}

const LOCAL_URN = /^urn:(uuid|oid):/;

/**
 * Rewrites references in resource text (R4 bundle.html#references, http.html#trules): every
 * string equal to an entry's `fullUrl` becomes that entry's `Type/id`, every conditional
 * reference becomes the resource it resolved to, and `href`/`src` attributes in the narrative
 * that name a `fullUrl` follow suit. A `urn:uuid:` or `urn:oid:` reference that names no entry
 * is an error, because it could never be resolved later.
 */
export function rewriteReferences(text: string, fullUrls: ReadonlyMap<string, string>, conditional: ReadonlyMap<string, string>, where: string): string {
  return replaceStrings(text, (value, key) => {
    const target = fullUrls.get(value) ?? (key === "reference" ? conditional.get(value) : undefined);
    if (target !== undefined) return target;
    if (key === "reference" && LOCAL_URN.test(value)) {
      throw new FhirError("invalid", { diagnostics: `Reference "${value.slice(0, 100)}" names no entry of this Bundle.`, expression: where });
    }
    if (key === "div" && value.includes("urn:")) {
      const replaced = value.replace(/(href|src)="(urn:(?:uuid|oid):[^"]+)"/g, (match, attribute: string, urn: string) => {
        const local = fullUrls.get(urn);
        return local === undefined ? match : `${attribute}="${local}"`;
      });
      return replaced === value ? undefined : replaced;
    }
    return undefined;
  });
}
