import type { Resource } from "fhir/r4";
import { FhirError, newId, type SearchQuery } from "@flint/core";
import type { FhirRepository, StoredResource, WriteOperation } from "@flint/repository";
import { findMatches, parseCriteria } from "./conditional.ts";

/**
 * The decision for one write request before anything is committed: a write operation, an
 * existing resource that satisfies a conditional create, or nothing to do.
 */
export type WritePlan =
  | { kind: "write"; operation: WriteOperation }
  | { kind: "existing"; resource: StoredResource }
  | { kind: "nothing"; resourceType: string };

/**
 * Plans a create (R4 http.html#create), or a conditional create when `ifNoneExist` is given
 * (http.html#ccreate): no match creates, one match returns it, several give 412.
 */
export async function planCreate(
  repository: FhirRepository,
  resource: Resource,
  source: string,
  ifNoneExist: string | undefined,
  id: string = newId(),
): Promise<WritePlan> {
  const operation: WriteOperation = { kind: "create", resourceType: resource.resourceType, id, resource: { ...resource, id }, source, method: "POST" };
  if (ifNoneExist === undefined) return { kind: "write", operation };

  const criteria = parseCriteria(resource.resourceType, ifNoneExist, "If-None-Exist");
  const matches = await findMatches(repository, criteria);
  if (matches.length > 1) throw multipleMatches("If-None-Exist", criteria);
  if (matches.length === 1) return { kind: "existing", resource: matches[0]! };
  return { kind: "write", operation: { ...operation, conditional: criteria } };
}

/**
 * Plans a conditional update `PUT [type]?criteria` (R4 http.html#cond-update): no match creates
 * (with the body's id if it has one), one match updates it, several give 412.
 */
export async function planConditionalUpdate(
  repository: FhirRepository,
  resource: Resource,
  source: string,
  criteriaText: string,
  ifMatch: number | undefined,
): Promise<WritePlan> {
  const criteria = parseCriteria(resource.resourceType, criteriaText, "The conditional update URL");
  const matches = await findMatches(repository, criteria);
  if (matches.length > 1) throw multipleMatches("The conditional update", criteria);

  const match = matches[0];
  if (match === undefined) {
    const id = resource.id ?? newId();
    const operation: WriteOperation = { kind: "update", resourceType: resource.resourceType, id, resource: { ...resource, id }, source, method: "PUT", conditional: criteria };
    if (ifMatch !== undefined) operation.ifMatch = ifMatch;
    return { kind: "write", operation };
  }

  if (resource.id !== undefined && resource.id !== match.id) {
    throw new FhirError("invalid", `The body has id "${resource.id.slice(0, 64)}" but the criteria match ${match.resourceType}/${match.id}.`);
  }
  const operation: WriteOperation = { kind: "update", resourceType: resource.resourceType, id: match.id, resource: { ...resource, id: match.id }, source, method: "PUT" };
  operation.ifMatch = ifMatch ?? match.versionId;
  return { kind: "write", operation };
}

/**
 * Plans a conditional delete `DELETE [type]?criteria` (R4 http.html#3.1.0.7.1): no match does
 * nothing, one match is deleted, several give 412 because this server deletes one at a time.
 */
export async function planConditionalDelete(repository: FhirRepository, resourceType: string, criteriaText: string): Promise<WritePlan> {
  const criteria = parseCriteria(resourceType, criteriaText, "The conditional delete URL");
  const matches = await findMatches(repository, criteria);
  if (matches.length > 1) throw multipleMatches("The conditional delete", criteria);
  const match = matches[0];
  if (match === undefined) return { kind: "nothing", resourceType };
  return { kind: "write", operation: { kind: "delete", resourceType, id: match.id, method: "DELETE", ifMatch: match.versionId } };
}

function multipleMatches(what: string, criteria: SearchQuery): FhirError {
  return new FhirError("multiple-matches", `${what} criteria match more than one ${criteria.resourceTypes[0]}; make them more specific.`);
}
