import type { Resource } from "fhir/r4";
import { FhirError, isResourceType, minifyJson, validateResource } from "@flint/core";
import { parseJson, readBody } from "../http/body.ts";
import type { FhirRequest } from "../context.ts";

/** Checks that a resource type named in a URL is an R4 resource type; unknown types give 404. */
export function checkResourceType(type: string | undefined): string {
  if (type !== undefined && isResourceType(type)) return type;
  throw new FhirError("not-found", {
    code: "not-supported",
    diagnostics: `"${(type ?? "").slice(0, 64)}" is not a FHIR R4 resource type.`,
  });
}

/**
 * Reads and checks the resource in a create or update body: JSON, an object, the resource type
 * of the URL, and structurally valid R4 (every problem reported with its location).
 */
export async function readResource(request: FhirRequest, type: string): Promise<{ resource: Resource; source: string }> {
  const text = await readBody(request.request, request.settings.maxBodyBytes);
  const json = parseJson(text, type);
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new FhirError("structure", "The request body must be a JSON object holding one FHIR resource.");
  }

  const resourceType = (json as { resourceType?: unknown }).resourceType;
  if (resourceType !== type) {
    throw new FhirError("invalid", {
      diagnostics:
        typeof resourceType === "string"
          ? `The body holds a ${resourceType.slice(0, 64)} but the URL names ${type}.`
          : `The body has no resourceType; expected "${type}".`,
      expression: "resourceType",
    });
  }

  const issues = validateResource(json);
  if (issues.length > 0) throw new FhirError("structure", issues);
  return { resource: json as Resource, source: minifyJson(text) };
}
