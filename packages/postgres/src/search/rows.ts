import type { Resource } from "fhir/r4";
import { extractSearchValues, type IndexValue } from "@flint/core";
import { indexText } from "./text.ts";

/**
 * Rows of the search index tables for one resource, by table. Each row also carries the
 * resource's `type` and `id` when it is written. Columns:
 *
 * | table | columns | serves |
 * | --- | --- | --- |
 * | token | `system` ("" when none), `code`, `text` (normalized display or text) | `code`, `system\|code`, `\|code`, `system\|`, `:text` |
 * | string | `value` (normalized) | prefix and `:exact` |
 * | date | `lo`, `hi`: the range `[lo, hi)` in epoch ms | every prefix but `ne` |
 * | number | `value` | every prefix but `ne` |
 * | quantity | `value`, `system`, `code`, `canonical_code`, `canonical_value` | every prefix but `ne`, with a unit |
 * | reference | `local` (`Type/id`), `url` | `Type/id`, `:[type]`, absolute URLs and canonicals |
 * | uri | `value` | exact uri |
 *
 * Text columns hold `indexText` values. Composite values and reference identifiers get no rows.
 */
export interface IndexRows {
  token: Array<{ param: string; system: string; code: string | null; text: string | null }>;
  string: Array<{ param: string; value: string }>;
  date: Array<{ param: string; lo: number; hi: number }>;
  number: Array<{ param: string; value: number }>;
  quantity: Array<{ param: string; value: number; system: string | null; code: string | null; canonical_code: string | null; canonical_value: number | null }>;
  reference: Array<{ param: string; local: string | null; url: string | null }>;
  uri: Array<{ param: string; value: string }>;
}

export type IndexFamily = keyof IndexRows;

export const INDEX_FAMILIES: readonly IndexFamily[] = ["token", "string", "date", "number", "quantity", "reference", "uri"];

/** Builds the index rows of a resource from its extracted search values, without duplicates. */
export function indexRows(resource: Resource): IndexRows {
  const rows: IndexRows = { token: [], string: [], date: [], number: [], quantity: [], reference: [], uri: [] };
  const seen = new Set<string>();
  const add = <F extends IndexFamily>(family: F, row: IndexRows[F][number]) => {
    const key = `${family}\u0001${JSON.stringify(row)}`;
    if (seen.has(key)) return;
    seen.add(key);
    (rows[family] as Array<IndexRows[F][number]>).push(row);
  };

  for (const [param, values] of extractSearchValues(resource)) {
    // `_id` is served by the resource table itself.
    if (param === "_id") continue;
    for (const value of values) addValue(param, value, add);
  }
  return rows;
}

type Add = <F extends IndexFamily>(family: F, row: IndexRows[F][number]) => void;

function addValue(param: string, value: IndexValue, add: Add): void {
  switch (value.type) {
    case "token":
      if (value.code === undefined && !value.system && value.text === undefined) return;
      add("token", {
        param,
        system: indexText(value.system ?? ""),
        code: value.code === undefined ? null : indexText(value.code),
        text: value.text === undefined ? null : indexText(value.text),
      });
      return;
    case "string":
      if (value.normalized !== "") add("string", { param, value: indexText(value.normalized) });
      return;
    case "date":
      add("date", { param, lo: Math.floor(value.start), hi: Math.ceil(value.end) });
      return;
    case "number":
      if (Number.isFinite(value.value)) add("number", { param, value: value.value });
      return;
    case "quantity":
      if (!Number.isFinite(value.value)) return;
      add("quantity", {
        param,
        value: value.value,
        system: value.system === undefined ? null : indexText(value.system),
        code: value.code === undefined ? null : indexText(value.code),
        canonical_code: value.canonical === undefined ? null : indexText(value.canonical.code),
        canonical_value: value.canonical === undefined || !Number.isFinite(value.canonical.value) ? null : value.canonical.value,
      });
      return;
    case "reference":
      if (value.reference === undefined && value.url === undefined) return;
      add("reference", {
        param,
        local: value.reference === undefined ? null : indexText(value.reference),
        url: value.url === undefined ? null : indexText(value.url),
      });
      return;
    case "uri":
      add("uri", { param, value: indexText(value.value) });
      return;
    case "composite":
      return;
  }
}
