/**
 * Structural validation of FHIR R4 resources in JSON form: resource types, known elements,
 * cardinality, choice types, JSON types and primitive formats.
 */
import type { Issue } from "../outcome.ts";
import { RESOURCE_TYPES } from "../generated/definitions.ts";
import { ValidationContext } from "./context.ts";
import { isResourceType } from "./schema.ts";
import { isJsonObject } from "./object-checks.ts";
import { validateResourceValue } from "./walker.ts";

export { RESOURCE_TYPES, isResourceType };
export { MAX_DEPTH, MAX_ISSUES } from "./context.ts";

/**
 * Validates a parsed JSON value as a FHIR R4 resource and returns every issue found, or an empty
 * array when the resource is valid.
 *
 * Checks follow R4 json.html (resourceType, arrays, null, `_x` primitive extensions) and
 * datatypes.html#primitive (formats), with element names, types and cardinalities from the
 * R4 StructureDefinitions. Contained resources, `Bundle.entry.resource` and other resource-typed
 * elements are checked against their own resourceType. Invariants other than ele-1 (no empty
 * objects) and dom-2 (no nested contained resources), terminology bindings and references are
 * not checked.
 *
 * Returns at most MAX_ISSUES issues. When there are more, the last issue reports that more were
 * found. Objects nested deeper than MAX_DEPTH are reported once and not checked. Does not throw
 * for any JSON value.
 */
export function validateResource(resource: unknown): Issue[] {
  const context = new ValidationContext();
  const resourceType = isJsonObject(resource) ? resource.resourceType : undefined;
  context.push(typeof resourceType === "string" && isResourceType(resourceType) ? resourceType : "Resource");
  validateResourceValue(context, resource);
  return context.issues;
}
