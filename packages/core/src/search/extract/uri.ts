/** Values of `uri` search parameters (R4 search.html#uri). */
import type { IndexValue } from "../model.ts";
import type { FhirValue } from "./evaluate.ts";

/** Appends a uri, url, canonical, oid or uuid value as written, `|version` included. */
export function extractUris(item: FhirValue, values: IndexValue[]): void {
  if (typeof item.value === "string") values.push({ type: "uri", value: item.value });
}
