/** HTTP verbs allowed in `Bundle.entry.request.method` (R4 value set `http-verb`). */
const HTTP_VERBS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"] as const;

export type HttpVerb = (typeof HTTP_VERBS)[number];

/** Request side of one bundle entry, as the summary needs it. No resource data is kept. */
export interface EntryRequest {
  /** Position in `Bundle.entry`, from 0. */
  index: number;
  /** `resource.resourceType`, else the type named by `request.url`, else `"(unknown)"`. */
  resourceType: string;
  method: HttpVerb;
  /** Whether the entry is a conditional create (`request.ifNoneExist` is set). */
  conditionalCreate: boolean;
}

/** Placeholder type for an entry whose resource type cannot be determined. */
export const UNKNOWN_TYPE = "(unknown)";

/** Raised when a request entry is not a valid batch or transaction entry; the message names the entry. */
export class EntryError extends Error {
  override name = "EntryError";
}

/**
 * Reads the request side of each entry of a parsed batch or transaction Bundle
 * (R4 bundle.html, `Bundle.entry.request`). Throws an `EntryError` for an entry without an
 * object, a known `request.method` or a `request.url`.
 */
export function describeEntries(entries: readonly unknown[]): EntryRequest[] {
  return entries.map((entry, index) => describeEntry(entry, index));
}

function describeEntry(entry: unknown, index: number): EntryRequest {
  if (!isObject(entry)) throw new EntryError(`entry ${index} is not a JSON object`);

  const request = entry["request"];
  if (!isObject(request)) throw new EntryError(`entry ${index} has no request`);

  const method = request["method"];
  if (typeof method !== "string" || !isHttpVerb(method)) {
    throw new EntryError(`entry ${index} has no valid request.method (expected one of ${HTTP_VERBS.join(", ")})`);
  }

  const url = request["url"];
  if (typeof url !== "string" || url === "") throw new EntryError(`entry ${index} has no request.url`);

  const resource = entry["resource"];
  const resourceType = isObject(resource) && typeof resource["resourceType"] === "string" ? resource["resourceType"] : typeFromUrl(url);
  const ifNoneExist = request["ifNoneExist"];
  return { index, resourceType, method, conditionalCreate: typeof ifNoneExist === "string" && ifNoneExist !== "" };
}

/** Returns the resource type named by a request URL such as `Patient/1`, `Patient?identifier=x` or an absolute URL. */
function typeFromUrl(url: string): string {
  const match = /(?:^|\/)([A-Z][A-Za-z]+)(?:[/?]|$)/.exec(url);
  return match?.[1] ?? UNKNOWN_TYPE;
}

function isHttpVerb(method: string): method is HttpVerb {
  return (HTTP_VERBS as readonly string[]).includes(method);
}

/** Tests whether `value` is a plain JSON object, not an array or null. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
