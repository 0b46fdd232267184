/** Values of `reference` search parameters (R4 search.html#reference). */
import { isResourceType } from "../../validation/index.ts";
import type { IndexValue } from "../model.ts";
import type { FhirValue } from "./evaluate.ts";

type ReferenceValue = Extract<IndexValue, { type: "reference" }>;

/** `Type/id`, optionally with `/_history/version`, at the end of a reference. */
const LOCAL_REFERENCE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** A URI scheme (`http:`, `urn:`), which makes a reference absolute. */
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;

/**
 * Appends the reference values of one item.
 *
 * - Reference: a relative `Type/id` gives `reference` and `resourceType`, without any version.
 *   An absolute URL gives only `url`, because only the caller knows whether it points to this
 *   server. Reference.identifier gives `identifier`, and Reference.type gives `resourceType`
 *   when the text has none. A reference to a contained resource (`#id`) gives only its
 *   identifier, if it has one.
 * - canonical, uri or url: `url` and `version`, split at `|`, and also `reference` when the
 *   value has the form `Type/id`.
 * - a resource (`Bundle.entry[0].resource` of `Bundle?composition`): its `Type/id`.
 *
 * Other types (an Attachment in `Consent.source[x]`) add nothing.
 */
export function extractReferences(item: FhirValue, values: IndexValue[]): void {
  const { type, value } = item;
  if (typeof value === "string") {
    values.push(canonicalReference(value));
    return;
  }
  if (typeof value !== "object" || value === null) return;

  const element = value as Record<string, unknown>;
  if (type === "Reference") {
    const reference = referenceElement(element);
    if (reference !== undefined) values.push(reference);
  } else if (typeof element.resourceType === "string" && typeof element.id === "string") {
    values.push({ type: "reference", reference: `${element.resourceType}/${element.id}`, resourceType: element.resourceType });
  }
}

/**
 * Returns the resource type that a Reference points to, read from a `Type/id` at the end of its
 * text or else from Reference.type, or undefined when neither gives one.
 */
export function referenceTargetType(reference: unknown): string | undefined {
  if (typeof reference !== "object" || reference === null) return undefined;
  const { reference: text, type } = reference as { reference?: unknown; type?: unknown };
  const local = typeof text === "string" ? parseLocalReference(text) : undefined;
  if (local !== undefined) return local.resourceType;
  return typeof type === "string" ? type : undefined;
}

function referenceElement(element: Record<string, unknown>): ReferenceValue | undefined {
  const { reference: text, identifier, type } = element;
  const value: ReferenceValue = { type: "reference" };

  if (typeof text === "string" && !text.startsWith("#")) {
    if (SCHEME.test(text)) {
      value.url = text;
    } else {
      const local = parseLocalReference(text);
      if (local?.whole === true) {
        value.reference = local.reference;
        value.resourceType = local.resourceType;
      }
    }
  }
  if (typeof identifier === "object" && identifier !== null) {
    const { system, value: identifierValue } = identifier as { system?: unknown; value?: unknown };
    if (typeof system === "string" || typeof identifierValue === "string") {
      value.identifier = {
        ...(typeof system === "string" ? { system } : {}),
        ...(typeof identifierValue === "string" ? { value: identifierValue } : {}),
      };
    }
  }
  if (value.resourceType === undefined && typeof type === "string") value.resourceType = type;

  const found = value.reference !== undefined || value.url !== undefined || value.identifier !== undefined;
  return found ? value : undefined;
}

function canonicalReference(text: string): ReferenceValue {
  const separator = text.indexOf("|");
  const url = separator === -1 ? text : text.slice(0, separator);
  const value: ReferenceValue = { type: "reference", url };
  if (separator !== -1) value.version = text.slice(separator + 1);

  const local = SCHEME.test(url) ? undefined : parseLocalReference(url);
  if (local?.whole === true) {
    value.reference = local.reference;
    value.resourceType = local.resourceType;
  }
  return value;
}

/**
 * Reads the `Type/id` at the end of a reference, with a known R4 resource type. `whole` is true
 * when the text contains nothing else, as a relative reference does.
 */
function parseLocalReference(text: string): { reference: string; resourceType: string; whole: boolean } | undefined {
  const match = LOCAL_REFERENCE.exec(text);
  const [, resourceType, id] = match ?? [];
  if (match === null || resourceType === undefined || id === undefined || !isResourceType(resourceType)) return undefined;
  return { reference: `${resourceType}/${id}`, resourceType, whole: match.index === 0 };
}
