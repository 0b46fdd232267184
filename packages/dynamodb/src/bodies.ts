import { FhirError } from "@flint/core";
import { decodeBody, encodeBody, INLINE_BODY_BYTES, joinBody, splitBody } from "./body.ts";
import { withRetries } from "./retry.ts";
import type { BodyFields, Store } from "./store.ts";
import { SDK_ERRORS } from "./entities.ts";

/**
 * Encodes a body and, when it is too large to inline, writes its slices under a new token.
 * Slices are immutable and unreachable until a committed item names their token.
 */
export async function storeBody(store: Store, resourceType: string, id: string, json: string): Promise<BodyFields> {
  const encoded = encodeBody(json);
  if (encoded.byteLength <= INLINE_BODY_BYTES) return { body: encoded };

  const token = crypto.randomUUID().slice(0, 8);
  const parts = splitBody(encoded);
  await Promise.all(
    parts.map((data, part) =>
      withRetries(() => store.service.entities.bodyPart.put({ resourceType, id, token, part, data }).go(SDK_ERRORS)),
    ),
  );
  return { bodyToken: token, bodyParts: parts.length };
}

/** Returns the JSON text of a stored body, joining its slices when it has them. */
export async function loadBody(
  store: Store,
  resourceType: string,
  id: string,
  fields: { body?: unknown; bodyToken?: string | undefined; bodyParts?: number | undefined },
): Promise<string> {
  if (fields.body !== undefined) return decodeBody(fields.body as Uint8Array);
  if (fields.bodyToken === undefined || fields.bodyParts === undefined) {
    throw new FhirError("exception", `${resourceType}/${id} has no stored body.`);
  }

  const token = fields.bodyToken;
  const { data } = await withRetries(() =>
    store.service.entities.bodyPart.query.primary({ resourceType, id, token }).go({ ...SDK_ERRORS, pages: "all", consistent: true }),
  );
  if (data.length !== fields.bodyParts) {
    throw new FhirError("exception", `${resourceType}/${id} has ${data.length} of ${fields.bodyParts} body parts.`);
  }
  data.sort((a, b) => a.part - b.part);
  return decodeBody(joinBody(data.map((entry) => entry.data as Uint8Array)));
}

/** Returns the body fields of an item, for copying them to another item. */
export function bodyFieldsOf(item: { body?: unknown; bodyToken?: string | undefined; bodyParts?: number | undefined }): BodyFields | {} {
  if (item.body !== undefined) return { body: item.body as Uint8Array };
  if (item.bodyToken !== undefined && item.bodyParts !== undefined) return { bodyToken: item.bodyToken, bodyParts: item.bodyParts };
  return {};
}
