import { FhirError, extractSearchValues, type QueryClause, type SearchQuery } from "@flint/core";
import type { FhirRepository } from "@flint/repository";

/** Most resources a chained or reverse-chained criterion may select before the search is too costly. */
export const MAX_CHAIN_MATCHES = 1_000;

/**
 * Replaces chained parameters and `_has` (R4 search.html#chaining, #has) with plain clauses the
 * stores run: a chain `subject:Patient.name=x` becomes `subject=Patient/{id},…` over the
 * Patients that match `name=x`, and `_has:Observation:patient:code=y` becomes `_id={id},…` over
 * the resources that matching Observations point to. Chains nest, one search per hop.
 */
export async function resolveChains(repository: FhirRepository, query: SearchQuery): Promise<SearchQuery> {
  const resourceType = query.resourceTypes[0]!;
  const clauses = await Promise.all(query.clauses.map((clause) => resolveClause(repository, resourceType, clause)));
  return { ...query, clauses };
}

async function resolveClause(repository: FhirRepository, resourceType: string, clause: QueryClause): Promise<QueryClause> {
  if (clause.kind === "parameter") return clause;

  if (clause.kind === "chain") {
    const inner = await resolveClause(repository, clause.target, clause.clause);
    const ids = await matchingIds(repository, clause.target, inner);
    const values = ids.map((id) => ({ type: "reference" as const, resourceType: clause.target, id }));
    return { kind: "parameter", parameter: clause.parameter, type: "reference", values: values.length > 0 ? values : [noMatch(clause.target)] };
  }

  const inner = await resolveClause(repository, clause.resourceType, clause.clause);
  const referrers = await matchingResources(repository, clause.resourceType, inner);
  const ids = new Set<string>();
  for (const referrer of referrers) {
    for (const value of extractSearchValues(referrer).get(clause.reference) ?? []) {
      if (value.type === "reference" && value.reference?.startsWith(`${resourceType}/`)) ids.add(value.reference.slice(resourceType.length + 1));
    }
  }
  const values = [...ids].map((id) => ({ type: "token" as const, code: id }));
  return { kind: "parameter", parameter: "_id", type: "token", values: values.length > 0 ? values : [{ type: "token", code: "-" }] };
}

/** Returns a reference value no resource can have, so that a chain without matches selects nothing. */
function noMatch(resourceType: string) {
  return { type: "reference" as const, resourceType, id: "-" };
}

async function matchingIds(repository: FhirRepository, resourceType: string, clause: QueryClause): Promise<string[]> {
  return (await matchingResources(repository, resourceType, clause)).map((resource) => resource.id!);
}

/** Runs one hop of a chain as a search of its own, following `next` links up to the limit. */
async function matchingResources(repository: FhirRepository, resourceType: string, clause: QueryClause) {
  const found = [];
  let cursor: string | undefined;
  do {
    const page = await repository.search({
      resourceTypes: [resourceType],
      clauses: [clause],
      sort: [],
      include: [],
      revinclude: [],
      count: MAX_CHAIN_MATCHES,
      total: "none",
      ...(cursor === undefined ? {} : { cursor }),
    });
    found.push(...page.entries.map((entry) => entry.resource));
    if (found.length > MAX_CHAIN_MATCHES) {
      throw new FhirError("too-costly", `A chained criterion on ${resourceType} matches more than ${MAX_CHAIN_MATCHES} resources; narrow it.`);
    }
    cursor = page.next;
  } while (cursor !== undefined);
  return found;
}
