import { informationOutcome, RawJson } from "@flint/core";
import type { StoredVersion } from "@flint/repository";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { formatETag, formatHttpDate } from "../http/preconditions.ts";

/** Absolute URL of one version: `[base]/[type]/[id]/_history/[vid]`. */
export function versionUrl(baseUrl: string, version: StoredVersion): string {
  return `${baseUrl}/${version.resourceType}/${version.id}/_history/${version.versionId}`;
}

export function versionHeaders(version: StoredVersion): Record<string, string> {
  return { ETag: formatETag(version.versionId), "Last-Modified": formatHttpDate(version.lastUpdated) };
}

/**
 * Builds the response to a successful write in the form the client requested with
 * `Prefer: return=` (R4 http.html#return): the resource (default), no body, or an OperationOutcome.
 */
export function writeResponse(
  request: FhirRequest,
  status: number,
  version: StoredVersion,
  location: "Location" | "Content-Location",
): FhirResponse {
  const headers = { ...versionHeaders(version), [location]: versionUrl(request.baseUrl, version) };
  switch (request.prefer.return) {
    case "minimal":
      return { status, headers };
    case "OperationOutcome": {
      const action = status === 201 ? "Created" : "Updated";
      const diagnostics = `${action} ${version.resourceType}/${version.id} as version ${version.versionId}.`;
      return { status, headers, body: informationOutcome(diagnostics) };
    }
    case "representation":
    case undefined:
      return version.json === undefined ? { status, headers } : { status, headers, body: new RawJson(version.json) };
  }
}
