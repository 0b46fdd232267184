import { newId } from "@flint/core";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { checkResourceType, readResource } from "./resource-input.ts";
import { writeResponse } from "./responses.ts";

/**
 * create: `POST [base]/[type]` (R4 http.html#create). The server assigns the id; an id in the
 * body is ignored, as the specification requires.
 */
export async function create(request: FhirRequest): Promise<FhirResponse> {
  const type = checkResourceType(request.params.type);
  const { resource, source } = await readResource(request, type);

  const stored = await request.settings.repository.create({ ...resource, id: newId() }, { method: "POST", source });
  return writeResponse(request, 201, stored, "Location");
}
