import { FhirError, informationOutcome, isValidId, RawJson } from "@flint/core";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { formatETag, isNotModified, parseETag } from "../http/preconditions.ts";
import { checkResourceType, readResource } from "./resource-input.ts";
import { versionHeaders, writeResponse } from "./responses.ts";

/** Checks the `[type]/[id]` of an instance URL. */
export function instanceTarget(request: FhirRequest): { type: string; id: string } {
  const type = checkResourceType(request.params.type);
  const id = request.params.id ?? "";
  if (!isValidId(id)) {
    throw new FhirError("invalid", `"${id.slice(0, 64)}" is not a valid id: use 1 to 64 of A-Z, a-z, 0-9, "-" and ".".`);
  }
  return { type, id };
}

function ifMatch(request: FhirRequest): number | undefined {
  const header = request.request.headers.get("if-match");
  return header === null ? undefined : parseETag(header, "If-Match");
}

/**
 * read: `GET [base]/[type]/[id]` (R4 http.html#read). A matching `If-None-Match` or
 * `If-Modified-Since` gets 304 Not Modified (http.html#cread).
 */
export async function read(request: FhirRequest): Promise<FhirResponse> {
  const { type, id } = instanceTarget(request);
  const current = await request.settings.repository.read(type, id);

  const headers = versionHeaders(current);
  const conditions = {
    ifNoneMatch: request.request.headers.get("if-none-match") ?? undefined,
    ifModifiedSince: request.request.headers.get("if-modified-since") ?? undefined,
  };
  if (isNotModified(conditions, current.versionId, current.lastUpdated)) return { status: 304, headers };
  return { status: 200, headers, body: new RawJson(current.json) };
}

/** vread: `GET [base]/[type]/[id]/_history/[vid]` (R4 http.html#vread); a deletion version gives 410. */
export async function vread(request: FhirRequest): Promise<FhirResponse> {
  const { type, id } = instanceTarget(request);
  const vid = request.params.vid ?? "";
  if (!/^[1-9]\d{0,9}$/.test(vid)) {
    throw new FhirError("invalid", `"${vid.slice(0, 64)}" is not a version id; versions are numbered from 1.`);
  }

  const version = await request.settings.repository.vread(type, id, Number(vid));
  if (version.deleted) {
    throw new FhirError("deleted", `Version ${vid} of ${type}/${id} records its deletion.`);
  }
  return { status: 200, headers: versionHeaders(version), body: new RawJson(version.json!) };
}

/**
 * update: `PUT [base]/[type]/[id]` (R4 http.html#update). Creates the resource when the id is
 * new or deleted (update-as-create, 201), honours `If-Match` (412 on mismatch,
 * http.html#concurrency), and requires the body id to equal the URL id.
 */
export async function update(request: FhirRequest): Promise<FhirResponse> {
  const { type, id } = instanceTarget(request);
  const expected = ifMatch(request);
  const { resource, source } = await readResource(request, type);
  if (resource.id !== id) {
    const found = resource.id === undefined ? "has no id" : `has id "${resource.id.slice(0, 64)}"`;
    throw new FhirError("invalid", { diagnostics: `The body ${found} but the URL names id "${id}".`, expression: `${type}.id` });
  }

  const options = expected === undefined ? { source } : { ifMatch: expected, source };
  const result = await request.settings.repository.update({ ...resource, id }, options);
  return result.created
    ? writeResponse(request, 201, result.version, "Location")
    : writeResponse(request, 200, result.version, "Content-Location");
}

/**
 * delete: `DELETE [base]/[type]/[id]` (R4 http.html#delete). Deleting a deleted or unknown
 * resource succeeds too, so the interaction is idempotent.
 */
export async function remove(request: FhirRequest): Promise<FhirResponse> {
  const { type, id } = instanceTarget(request);
  const expected = ifMatch(request);
  const options = expected === undefined ? {} : { ifMatch: expected };
  const result = await request.settings.repository.delete(type, id, options);

  const headers: Record<string, string> = result.version === undefined ? {} : { ETag: formatETag(result.version.versionId) };
  if (request.prefer.return !== "OperationOutcome") return { status: 204, headers };
  const diagnostics = result.deleted
    ? `Deleted ${type}/${id}; version ${result.version?.versionId} records the deletion.`
    : `${type}/${id} was not present, so nothing was deleted.`;
  return { status: 200, headers, body: informationOutcome(diagnostics) };
}
