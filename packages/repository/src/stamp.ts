import type { Resource } from "fhir/r4";
import { setIdAndMeta } from "@flint/core";
import type { StoredResource } from "./repository.ts";

/**
 * Sets `id`, `meta.versionId` and `meta.lastUpdated` on a resource about to be stored, keeping
 * its other `meta` elements. Returns the value and its JSON text; when `source` (the text as
 * received) is given, the text keeps every other value exactly as written.
 */
export function stampVersion(
  resource: Resource & { id: string },
  source: string | undefined,
  versionId: number,
  lastUpdated: string,
): { resource: Resource; json: string } {
  const meta = { ...resource.meta, versionId: String(versionId), lastUpdated };
  const stamped = Object.assign({ resourceType: resource.resourceType, id: resource.id, meta }, resource, {
    id: resource.id,
    meta,
  }) as Resource;
  const json = source === undefined ? JSON.stringify(stamped) : setIdAndMeta(source, resource.id, meta);
  return { resource: stamped, json };
}

/**
 * Returns a read's `StoredResource` that parses `resource` from `json` on first use, because a
 * plain read sends the stored text and does not need the parsed value.
 */
export function storedResource(version: Omit<StoredResource, "resource">): StoredResource {
  let parsed: Resource | undefined;
  return Object.defineProperty(version, "resource", {
    enumerable: true,
    configurable: true,
    get: () => (parsed ??= JSON.parse(version.json) as Resource),
    set: (value: Resource) => void (parsed = value),
  }) as StoredResource;
}
