import type { Bundle, BundleEntry } from "fhir/r4";
import { FhirError, parseDateRange, parseInstant, RawJson } from "@flint/core";
import type { HistoryQuery, StoredVersion } from "@flint/repository";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { formatETag } from "../http/preconditions.ts";
import { instanceTarget } from "./instance.ts";
import { checkResourceType } from "./resource-input.ts";

/** Page size of history when the client sends no `_count`. */
export const DEFAULT_HISTORY_COUNT = 50;

/** Largest `_count` accepted for history; larger values are lowered to it, as R4 allows. */
export const MAX_HISTORY_COUNT = 1_000;

/** Query parameters of the history interactions; `_cursor` carries the opaque paging position. */
export const HISTORY_PARAMETERS = ["_count", "_since", "_at", "_cursor"] as const;

/** history-system: `GET [base]/_history` (R4 http.html#history). */
export function historySystem(request: FhirRequest): Promise<FhirResponse> {
  return history(request, {}, "_history");
}

/** history-type: `GET [base]/[type]/_history` (R4 http.html#history). */
export function historyType(request: FhirRequest): Promise<FhirResponse> {
  const type = checkResourceType(request.params.type);
  return history(request, { resourceType: type }, `${type}/_history`);
}

/** history-instance: `GET [base]/[type]/[id]/_history` (R4 http.html#history). */
export function historyInstance(request: FhirRequest): Promise<FhirResponse> {
  const { type, id } = instanceTarget(request);
  return history(request, { resourceType: type, id }, `${type}/${id}/_history`);
}

async function history(
  request: FhirRequest,
  scope: { resourceType?: string; id?: string },
  path: string,
): Promise<FhirResponse> {
  const query: HistoryQuery = { ...scope, ...parseHistoryParameters(request.query) };
  const page = await request.settings.repository.history(query);

  const bundle: Bundle = {
    resourceType: "Bundle",
    id: crypto.randomUUID(),
    meta: { lastUpdated: new Date().toISOString() },
    type: "history",
    link: [{ relation: "self", url: pageUrl(request, path, query.cursor) }],
    entry: page.entries.map((version) => historyEntry(request.baseUrl, version)),
  };
  if (page.next !== undefined) bundle.link!.push({ relation: "next", url: pageUrl(request, path, page.next) });
  return { status: 200, body: bundle };
}

function parseHistoryParameters(query: URLSearchParams): Omit<HistoryQuery, "resourceType" | "id"> {
  const parsed: Omit<HistoryQuery, "resourceType" | "id"> = { count: DEFAULT_HISTORY_COUNT };

  const count = single(query, "_count");
  if (count !== undefined) {
    if (!/^\d{1,9}$/.test(count)) throw new FhirError("invalid", `_count "${count.slice(0, 64)}" is not a whole number.`);
    parsed.count = Math.min(Number(count), MAX_HISTORY_COUNT);
  }

  const since = single(query, "_since");
  if (since !== undefined) {
    const instant = parseInstant(since);
    if (instant === undefined) {
      throw new FhirError("invalid", `_since "${since.slice(0, 64)}" is not an instant such as 2024-05-01T10:00:00Z.`);
    }
    parsed.since = new Date(instant).toISOString();
  }

  const at = single(query, "_at");
  if (at !== undefined) {
    const range = parseDateRange(at);
    if (range === undefined) {
      throw new FhirError("invalid", `_at "${at.slice(0, 64)}" is not a date or dateTime such as 2024-05 or 2024-05-01T10:00:00Z.`);
    }
    parsed.at = { start: new Date(range.start).toISOString(), end: new Date(range.end).toISOString() };
  }

  const cursor = single(query, "_cursor");
  if (cursor !== undefined) parsed.cursor = cursor;
  return parsed;
}

function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name);
  if (values.length > 1) throw new FhirError("invalid", `${name} may appear only once.`);
  return values[0];
}

/** Builds a page link that repeats the client's filters and sets the cursor. */
function pageUrl(request: FhirRequest, path: string, cursor: string | undefined): string {
  const parameters = new URLSearchParams();
  for (const name of ["_count", "_since", "_at"]) {
    const value = request.query.get(name);
    if (value !== null) parameters.set(name, value);
  }
  if (cursor !== undefined) parameters.set("_cursor", cursor);
  const search = parameters.toString();
  return `${request.baseUrl}/${path}${search === "" ? "" : `?${search}`}`;
}

/** One history entry: the version, and the request and response that produced it (R4 bundle.html). */
function historyEntry(baseUrl: string, version: StoredVersion): BundleEntry {
  const instance = `${version.resourceType}/${version.id}`;
  const created = version.method === "POST" || (version.method === "PUT" && version.versionId === 1);
  let status = created ? "201" : "200";
  if (version.deleted) status = "204";
  const entry: BundleEntry = {
    fullUrl: `${baseUrl}/${instance}`,
    request: { method: version.method, url: version.method === "POST" ? version.resourceType : instance },
    response: {
      status,
      etag: formatETag(version.versionId),
      lastModified: version.lastUpdated,
    },
  };
  if (version.json !== undefined) (entry as { resource?: unknown }).resource = new RawJson(version.json);
  if (!version.deleted) entry.response!.location = `${instance}/_history/${version.versionId}`;
  return entry;
}
