import type { Resource } from "fhir/r4";
import { arrayElements, FhirError, isResourceType, isValidId, memberText, type Issue } from "@flint/core";

/** Most entries accepted in one batch or transaction Bundle; stated in the CapabilityStatement. */
export const MAX_BUNDLE_ENTRIES = 10_000;

export type EntryMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One entry of a batch or transaction, checked and split into its parts. */
export interface BundleRequestEntry {
  index: number;
  method: EntryMethod;
  /** `request.url` as sent. */
  url: string;
  /** Resource type named by the URL, or undefined for a URL at the base (a nested Bundle). */
  resourceType?: string;
  /** Id from a `[type]/[id]` URL. */
  id?: string;
  /** Version from a `[type]/[id]/_history/[vid]` URL. */
  versionId?: number;
  /** Query string of a `[type]?criteria` URL, without the `?`. */
  criteria?: string;
  fullUrl?: string;
  resource?: Resource;
  /** The entry's resource as minified JSON text, exactly as sent. */
  source?: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifNoneExist?: string;
}

const METHODS = new Set<string>(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/** Location of an entry for OperationOutcome expressions. */
export function entryPath(index: number): string {
  return `Bundle.entry[${index}]`;
}

/**
 * Splits the entries of a batch or transaction Bundle (R4 bundle.html, http.html#transaction)
 * and checks each request: a method, a URL of a form the method allows, a resource of the URL's
 * type where one is needed, and unique `fullUrl`s. Returns the problems of every entry.
 */
export function parseEntries(bundle: Record<string, unknown>, text: string, baseUrl: string): ParsedEntry[] {
  const raw = bundle.entry;
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new FhirError("structure", { diagnostics: "Bundle.entry must be an array.", expression: "Bundle.entry" });
  if (raw.length > MAX_BUNDLE_ENTRIES) {
    throw new FhirError("too-large", `The Bundle has ${raw.length} entries; this server accepts at most ${MAX_BUNDLE_ENTRIES}.`);
  }

  const entryTexts = arrayElements(memberText(text, "entry") ?? "[]");
  const fullUrls = new Map<string, number>();
  return raw.map((value, index) => {
    const problems: Issue[] = [];
    const entry = parseEntry(value, index, entryTexts[index], baseUrl, problems);
    if (entry?.fullUrl !== undefined) {
      const first = fullUrls.get(entry.fullUrl);
      if (first !== undefined) {
        problems.push({ diagnostics: `fullUrl "${entry.fullUrl.slice(0, 64)}" is also used by entry ${first}.`, expression: `${entryPath(index)}.fullUrl` });
      } else {
        fullUrls.set(entry.fullUrl, index);
      }
    }
    return entry === undefined ? { index, problems } : { index, entry, problems };
  });
}

/** An entry of the request Bundle with the problems found in it; `entry` is absent when unreadable. */
export interface ParsedEntry {
  index: number;
  entry?: BundleRequestEntry;
  problems: Issue[];
}

function parseEntry(value: unknown, index: number, text: string | undefined, baseUrl: string, problems: Issue[]): BundleRequestEntry | undefined {
  const path = entryPath(index);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push({ diagnostics: "Each Bundle entry must be a JSON object.", expression: path });
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const request = record.request as Record<string, unknown> | undefined;
  if (typeof request !== "object" || request === null) {
    problems.push({ diagnostics: "The entry has no request; batch and transaction entries need request.method and request.url.", expression: `${path}.request` });
    return undefined;
  }

  const method = request.method;
  const url = request.url;
  if (typeof method !== "string" || !METHODS.has(method)) {
    problems.push({ diagnostics: `request.method must be one of ${[...METHODS].join(", ")}.`, expression: `${path}.request.method` });
    return undefined;
  }
  if (typeof url !== "string") {
    problems.push({ diagnostics: "request.url is missing.", expression: `${path}.request.url` });
    return undefined;
  }

  const entry: BundleRequestEntry = { index, method: method as EntryMethod, url };
  for (const name of ["ifMatch", "ifNoneMatch", "ifModifiedSince", "ifNoneExist"] as const) {
    const header = request[name];
    if (typeof header === "string") entry[name] = header;
  }
  if (typeof record.fullUrl === "string") entry.fullUrl = record.fullUrl;
  if (record.resource !== undefined) {
    entry.resource = record.resource as Resource;
    const source = text === undefined ? undefined : memberText(text, "resource");
    entry.source = source ?? JSON.stringify(record.resource);
  }

  parseUrl(entry, baseUrl, problems);
  checkResource(entry, problems);
  return entry;
}

/** Splits `request.url` into type, id, version and criteria (R4 bundle.html#bundle-request). */
function parseUrl(entry: BundleRequestEntry, baseUrl: string, problems: Issue[]): void {
  const path = `${entryPath(entry.index)}.request.url`;
  let url = entry.url.startsWith(`${baseUrl}/`) ? entry.url.slice(baseUrl.length + 1) : entry.url;
  if (url === baseUrl || url === "" || url === "/") {
    if (entry.method !== "POST") problems.push({ diagnostics: "Only POST may target the base URL.", expression: path });
    return;
  }
  if (url.startsWith("/")) url = url.slice(1);

  const question = url.indexOf("?");
  const pathPart = question < 0 ? url : url.slice(0, question);
  if (question >= 0) entry.criteria = url.slice(question + 1);
  const segments = pathPart.split("/");
  const [type, id, history, version] = segments;

  if (type === undefined || !isResourceType(type)) {
    const known = type !== undefined && type.startsWith("$") ? `Operation ${type} is not supported.` : `"${(type ?? "").slice(0, 64)}" is not a FHIR R4 resource type.`;
    problems.push({ code: "not-supported", diagnostics: known, expression: path });
    return;
  }
  entry.resourceType = type;
  if (segments.length > 4 || (id !== undefined && id.startsWith("$")) || (history !== undefined && history !== "_history")) {
    problems.push({ code: "not-supported", diagnostics: `"${entry.url.slice(0, 64)}" is not a URL this server supports in a Bundle.`, expression: path });
    return;
  }
  if (id !== undefined) {
    if (!isValidId(id)) {
      problems.push({ diagnostics: `"${id.slice(0, 64)}" is not a valid id.`, expression: path });
      return;
    }
    entry.id = id;
  }
  if (version !== undefined) {
    if (!/^[1-9]\d{0,9}$/.test(version)) problems.push({ diagnostics: `"${version.slice(0, 64)}" is not a version id.`, expression: path });
    else entry.versionId = Number(version);
  }

  const allowed = {
    GET: true,
    HEAD: true,
    POST: id === undefined && entry.criteria === undefined,
    PUT: (id !== undefined) !== (entry.criteria !== undefined) && version === undefined,
    PATCH: (id !== undefined) !== (entry.criteria !== undefined) && version === undefined,
    DELETE: (id !== undefined) !== (entry.criteria !== undefined) && version === undefined,
  }[entry.method];
  if (!allowed) problems.push({ diagnostics: `${entry.method} does not take a URL of the form "${entry.url.slice(0, 64)}".`, expression: path });
}

function checkResource(entry: BundleRequestEntry, problems: Issue[]): void {
  const path = `${entryPath(entry.index)}.resource`;
  const needsResource = entry.method === "POST" || entry.method === "PUT";
  if (!needsResource) return;
  const resource = entry.resource as { resourceType?: unknown } | undefined;
  if (typeof resource !== "object" || resource === null || Array.isArray(resource)) {
    problems.push({ diagnostics: `A ${entry.method} entry needs a resource.`, expression: path });
    return;
  }
  const expected = entry.resourceType ?? "Bundle";
  if (resource.resourceType !== expected) {
    problems.push({ diagnostics: `The resource is a ${String(resource.resourceType).slice(0, 64)} but request.url names ${expected}.`, expression: `${path}.resourceType` });
  }
}
