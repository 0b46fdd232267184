import type { Resource } from "fhir/r4";
import { extractSearchValues, FhirError, SEARCH_PARAMETERS, type IncludeDirective, type SearchQuery } from "@flint/core";
import type { FhirRepository, StoredResource } from "@flint/repository";

/** Maximum number of resources one search page may include, over all `_include` and `_revinclude` rounds. */
export const MAX_INCLUDED = 1_000;

/** Rounds of `:iterate` after the first, so that a cycle of references cannot run on forever. */
const MAX_ITERATIONS = 3;

/**
 * Finds the resources that `_include` and `_revinclude` add to a page of matches (R4
 * search.html#include). Includes follow the named reference parameter of each match (`*` for
 * all of them, `:target` to restrict the type); revincludes find resources whose reference
 * parameter points at a match. `:iterate` directives apply again to what was added. Matches
 * are never repeated as includes, and each page carries the includes of its own matches.
 */
export async function findIncluded(repository: FhirRepository, query: SearchQuery, matches: readonly StoredResource[]): Promise<StoredResource[]> {
  if (query.include.length === 0 && query.revinclude.length === 0) return [];
  const seen = new Set(matches.map((match) => `${match.resourceType}/${match.id}`));
  const included: StoredResource[] = [];
  let sources: readonly StoredResource[] = matches;

  for (let round = 0; round <= MAX_ITERATIONS && sources.length > 0; round++) {
    const iterate = (directive: IncludeDirective) => round === 0 || directive.iterate;
    const added: StoredResource[] = [];
    const add = (resource: StoredResource) => {
      const key = `${resource.resourceType}/${resource.id}`;
      if (seen.has(key)) return;
      seen.add(key);
      added.push(resource);
      if (included.length + added.length > MAX_INCLUDED) {
        throw new FhirError("too-costly", `The page would include more than ${MAX_INCLUDED} resources; lower _count or drop an _include.`);
      }
    };

    for (const directive of query.include.filter(iterate)) {
      for (const source of sources) {
        for (const reference of referencesOf(source.resource, directive)) {
          const [type, id] = reference.split("/") as [string, string];
          const target = await repository.read(type, id).catch((error: unknown) => {
            if (error instanceof FhirError && (error.kind === "not-found" || error.kind === "deleted")) return undefined;
            throw error;
          });
          if (target !== undefined) add(target);
        }
      }
    }
    for (const directive of query.revinclude.filter(iterate)) {
      for (const source of sources) {
        for (const referrer of await referrersOf(repository, directive, source)) add(referrer);
      }
    }

    included.push(...added);
    sources = added;
  }
  return included;
}

/** References of a resource through the directive's parameter (all reference parameters for `*`), as `Type/id`. */
function referencesOf(resource: Resource, directive: IncludeDirective): string[] {
  // A bare `*` starts from every resource, whatever its type.
  if (directive.source !== "*" && resource.resourceType !== directive.source) return [];
  const values = extractSearchValues(resource);
  const parameters =
    directive.parameter === "*"
      ? (SEARCH_PARAMETERS[resource.resourceType] ?? []).filter((definition) => definition.type === "reference").map((definition) => definition.code)
      : [directive.parameter];
  const references = new Set<string>();
  for (const parameter of parameters) {
    for (const value of values.get(parameter) ?? []) {
      if (value.type !== "reference" || value.reference === undefined || !/^[A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(value.reference)) continue;
      if (directive.target !== undefined && !value.reference.startsWith(`${directive.target}/`)) continue;
      references.add(value.reference);
    }
  }
  return [...references];
}

/** Resources of the directive's source type whose parameter points at `target`. */
async function referrersOf(repository: FhirRepository, directive: IncludeDirective, target: StoredResource): Promise<StoredResource[]> {
  if (directive.target !== undefined && directive.target !== target.resourceType) return [];
  const parameters =
    directive.parameter === "*"
      ? (SEARCH_PARAMETERS[directive.source] ?? []).filter((definition) => definition.type === "reference").map((definition) => definition.code)
      : [directive.parameter];
  const found: StoredResource[] = [];
  for (const parameter of parameters) {
    const page = await repository.search({
      resourceTypes: [directive.source],
      clauses: [{ kind: "parameter", parameter, type: "reference", values: [{ type: "reference", resourceType: target.resourceType, id: target.id }] }],
      sort: [],
      include: [],
      revinclude: [],
      count: MAX_INCLUDED,
      total: "none",
    });
    found.push(...page.entries);
  }
  return found;
}
