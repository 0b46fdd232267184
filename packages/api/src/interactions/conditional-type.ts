import { FhirError, informationOutcome } from "@flint/core";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { parseETag } from "../http/preconditions.ts";
import { commitPlans } from "./commit.ts";
import { planConditionalDelete, planConditionalUpdate } from "./plans.ts";
import { checkResourceType, readResource } from "./resource-input.ts";
import { writeResponse } from "./responses.ts";

function criteriaOf(request: FhirRequest, what: string): string {
  const query = new URLSearchParams(request.query);
  query.delete("_format");
  query.delete("_pretty");
  const text = query.toString();
  if (text === "") throw new FhirError("invalid", `${what} needs search criteria in the URL, such as ?identifier=system|value.`);
  return text;
}

/** Conditional update: `PUT [base]/[type]?criteria` (R4 http.html#cond-update). */
export async function conditionalUpdate(request: FhirRequest): Promise<FhirResponse> {
  const type = checkResourceType(request.params.type);
  const criteria = criteriaOf(request, "A conditional update");
  const header = request.request.headers.get("if-match");
  const ifMatch = header === null ? undefined : parseETag(header, "If-Match");
  const { resource, source } = await readResource(request, type);

  const repository = request.settings.repository;
  const { results } = await commitPlans(
    repository,
    async () => [await planConditionalUpdate(repository, resource, source, criteria, ifMatch)],
    () => ifMatch !== undefined,
  );
  const result = results[0]!;
  return result.created
    ? writeResponse(request, 201, result.version!, "Location")
    : writeResponse(request, 200, result.version!, "Content-Location");
}

/** Conditional delete: `DELETE [base]/[type]?criteria`, of at most one match (R4 http.html#3.1.0.7.1). */
export async function conditionalDelete(request: FhirRequest): Promise<FhirResponse> {
  const type = checkResourceType(request.params.type);
  const criteria = criteriaOf(request, "A conditional delete");

  const repository = request.settings.repository;
  const { plans, results } = await commitPlans(repository, async () => [await planConditionalDelete(repository, type, criteria)], () => false);
  const deleted = plans[0]!.kind === "write" ? results[0]?.version : undefined;
  const headers: Record<string, string> = deleted === undefined ? {} : { ETag: `W/"${deleted.versionId}"` };
  if (request.prefer.return !== "OperationOutcome") return { status: 204, headers };
  const diagnostics = deleted === undefined ? `No ${type} matched, so nothing was deleted.` : `Deleted ${type}/${deleted.id}.`;
  return { status: 200, headers, body: informationOutcome(diagnostics) };
}
