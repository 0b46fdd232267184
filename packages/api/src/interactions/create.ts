import { informationOutcome, RawJson } from "@flint/core";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { commitPlans } from "./commit.ts";
import { planCreate } from "./plans.ts";
import { checkResourceType, readResource } from "./resource-input.ts";
import { versionHeaders, versionUrl, writeResponse } from "./responses.ts";

/**
 * create: `POST [base]/[type]` (R4 http.html#create). The server assigns the id; an id in the
 * body is ignored, as the specification requires. With `If-None-Exist` it is a conditional
 * create (http.html#ccreate): an existing match is returned with 200 instead.
 */
export async function create(request: FhirRequest): Promise<FhirResponse> {
  const type = checkResourceType(request.params.type);
  const { resource, source } = await readResource(request, type);
  const ifNoneExist = request.request.headers.get("if-none-exist") ?? undefined;

  const repository = request.settings.repository;
  const { plans, results } = await commitPlans(repository, async () => [await planCreate(repository, resource, source, ifNoneExist)], () => false);
  const plan = plans[0]!;
  if (plan.kind === "existing") {
    const existing = plan.resource;
    const headers = { ...versionHeaders(existing), Location: versionUrl(request.baseUrl, existing) };
    if (request.prefer.return === "minimal") return { status: 200, headers };
    if (request.prefer.return === "OperationOutcome") {
      return { status: 200, headers, body: informationOutcome(`If-None-Exist matched ${type}/${existing.id}; nothing was created.`) };
    }
    return { status: 200, headers, body: new RawJson(existing.json) };
  }
  return writeResponse(request, 201, results[0]!.version!, "Location");
}
