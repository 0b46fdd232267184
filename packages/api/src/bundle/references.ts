import type { Resource } from "fhir/r4";
import { FhirError, isResourceType, matchesQuery, replaceTypedStrings, type StringPlace } from "@flint/core";
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
      if (candidate.resourceType === resourceType && matchesQuery(candidate.resource, criteria.clauses)) ids.add(candidate.id);
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
  replaceTypedStrings(text, (value, place) => {
    if (isReference(place) && isConditionalReference(value)) found.add(value);
    return undefined;
  });
  return found;
}

/** Types of the elements whose values transaction processing rewrites besides `Reference.reference`. */
const URI_TYPES = new Set(["uri", "url", "canonical", "oid", "uuid"]);

function isReference(place: StringPlace): boolean {
  return place.owner === "Reference" && place.key === "reference";
}

/** URI elements that may name an entry; `Extension.url` names the extension's definition instead. */
function isRewritableUri(place: StringPlace): boolean {
  return URI_TYPES.has(place.type) && !(place.owner === "Extension" && place.key === "url");
}

const LOCAL_URN = /^urn:(uuid|oid):/;

/** `href` and `src` attributes in XHTML, with double or single quotes. */
const NARRATIVE_LINK = /\b(href|src)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Splits a RESTful absolute URL such as `http://x/fhir/Patient/1` into its base and `Patient/1`. */
export function splitRestfulUrl(url: string): { base: string; local: string } | undefined {
  const match = /^(https?:\/\/.+)\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(url);
  if (match === null || !isResourceType(match[2]!)) return undefined;
  return { base: match[1]!, local: `${match[2]}/${match[3]}` };
}

/**
 * Rewrites references in resource text (R4 bundle.html#references, http.html#trules): every
 * reference and URI element equal to an entry's `fullUrl` becomes that entry's `Type/id`, while
 * strings of other types (such as `Identifier.value`) stay as written; a relative reference
 * becomes the entry it names when it resolves against the base of this entry's RESTful
 * `fullUrl` (`relative`); every conditional reference becomes the resource it resolved to; and
 * `href`/`src` attributes in the narrative that name a `fullUrl` follow suit. A `urn:uuid:` or
 * `urn:oid:` reference that names no entry is an error, because it could never be resolved. The
 * error names the element that contains it when `resource` (the parsed entry resource) is given.
 */
export function rewriteReferences(
  text: string,
  fullUrls: ReadonlyMap<string, string>,
  relative: ReadonlyMap<string, string> | undefined,
  conditional: ReadonlyMap<string, string>,
  where: string,
  resource?: unknown,
): string {
  const lookup = (value: string) => fullUrls.get(value) ?? relative?.get(value);
  return replaceTypedStrings(text, (value, place) => {
    const reference = isReference(place);
    if (reference || isRewritableUri(place)) {
      const target = lookup(value) ?? (reference ? conditional.get(value) : undefined);
      if (target !== undefined) return target;
    }
    if (reference && LOCAL_URN.test(value)) {
      const expression = resource === undefined ? where : (findReference(resource, value, where) ?? where);
      throw new FhirError("invalid", { diagnostics: `Reference "${value.slice(0, 100)}" names no entry of this Bundle.`, expression });
    }
    if (place.type === "xhtml" && fullUrls.size + (relative?.size ?? 0) > 0) {
      const replaced = value.replace(NARRATIVE_LINK, (match, attribute: string, _quoted: string, double?: string, single?: string) => {
        const local = lookup(double ?? single ?? "");
        if (local === undefined) return match;
        return double !== undefined ? `${attribute}="${local}"` : `${attribute}='${local}'`;
      });
      return replaced === value ? undefined : replaced;
    }
    return undefined;
  });
}

/**
 * Returns the path of the first `reference` element equal to `value` in a parsed resource, such as
 * `Bundle.entry[1].resource.subject.reference` for `root` `Bundle.entry[1].resource`. Walks with
 * an explicit stack, so the depth of the resource does not matter.
 */
function findReference(resource: unknown, value: string, root: string): string | undefined {
  const pending: Array<{ node: unknown; path: string }> = [{ node: resource, path: root }];
  while (pending.length > 0) {
    const { node, path } = pending.pop()!;
    if (Array.isArray(node)) {
      for (let index = node.length - 1; index >= 0; index--) pending.push({ node: node[index], path: `${path}[${index}]` });
      continue;
    }
    if (typeof node !== "object" || node === null) continue;
    const record = node as Record<string, unknown>;
    if (record.reference === value) return `${path}.reference`;
    for (const key of Object.keys(record).reverse()) pending.push({ node: record[key], path: `${path}.${key}` });
  }
  return undefined;
}
