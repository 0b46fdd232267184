import type { Resource } from "fhir/r4";
import { decodeBase64Url, encodeBase64Url, FhirError } from "@flint/core";
import type { HistoryPage, HistoryQuery, StoredVersion, VersionMethod } from "@flint/repository";
import type { SqlClient } from "./client.ts";
import type { Tables } from "./schema.ts";
import { isoInstant } from "./sql.ts";

/** A version row as history and vread select it. */
export interface VersionRow {
  type: string;
  id: string;
  vid: number;
  last_updated: string;
  method: VersionMethod;
  deleted: boolean;
  content: string | null;
}

/** Columns of `resource_version` that make a VersionRow, for a table aliased `v`. */
export const VERSION_COLUMNS = `v.type, v.id, v.vid, ${isoInstant("v.last_updated")} AS last_updated, v.method, v.deleted, v.content`;

/** Position after the last entry of a page: the version number (instance history) or the entry's sort key (type and system history). */
type Cursor = { vid: number } | { lastUpdated: string; type: string; id: string; vid: number };

/**
 * Reads one page of history, newest first (R4 http.html#history). Instance history orders the
 * versions of one resource by version number. Type and system history order versions by
 * `lastUpdated`, then type, id and version, all descending, so entries committed in the same
 * millisecond keep one stable order across pages. `_since` keeps versions committed at or after
 * its instant. `_at` keeps versions that were current at some point in `[start, end)`, so those
 * committed before `end` and superseded after `start` or never superseded.
 */
export async function readHistory(client: SqlClient, tables: Tables, query: HistoryQuery): Promise<HistoryPage> {
  const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (value: unknown, cast = "") => {
    params.push(value);
    return `$${params.length}${cast}`;
  };

  const instance = query.resourceType !== undefined && query.id !== undefined;
  if (query.resourceType !== undefined) conditions.push(`v.type = ${add(query.resourceType)}`);
  if (instance) conditions.push(`v.id = ${add(query.id)}`);
  if (query.since !== undefined) conditions.push(`v.last_updated >= ${add(query.since, "::timestamptz")}`);
  if (query.at !== undefined) {
    conditions.push(`v.last_updated < ${add(query.at.end, "::timestamptz")}`);
    conditions.push(`(v.superseded_at IS NULL OR v.superseded_at > ${add(query.at.start, "::timestamptz")})`);
  }
  if (cursor !== undefined) conditions.push(cursorCondition(cursor, instance, add));

  const order = instance ? "v.vid DESC" : "v.last_updated DESC, v.type DESC, v.id DESC, v.vid DESC";
  const rows = await client.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM ${tables.version} v
      ${conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`}
      ORDER BY ${order} LIMIT ${add(query.count + 1, "::integer")}`,
    params,
  );

  const page = rows.slice(0, query.count);
  const entries = page.map(toStoredVersion);
  const last = page.at(-1);
  if (rows.length <= query.count || last === undefined) return { entries };
  const next: Cursor = instance ? { vid: last.vid } : { lastUpdated: last.last_updated, type: last.type, id: last.id, vid: last.vid };
  return { entries, next: formatCursor(next) };
}

function cursorCondition(cursor: Cursor, instance: boolean, add: (value: unknown, cast?: string) => string): string {
  if (!("lastUpdated" in cursor)) {
    if (!instance) throw invalidCursor();
    return `v.vid < ${add(cursor.vid, "::integer")}`;
  }
  if (instance) throw invalidCursor();
  return `(v.last_updated, v.type, v.id, v.vid) < (${add(cursor.lastUpdated, "::timestamptz")}, ${add(cursor.type)}, ${add(cursor.id)}, ${add(cursor.vid, "::integer")})`;
}

/** Turns a version row into a StoredVersion; a deletion has no resource. */
export function toStoredVersion(row: VersionRow): StoredVersion {
  const version: StoredVersion = {
    resourceType: row.type,
    id: row.id,
    versionId: row.vid,
    lastUpdated: row.last_updated,
    method: row.method,
    deleted: row.deleted,
  };
  if (!row.deleted && row.content !== null) {
    version.json = row.content;
    version.resource = JSON.parse(row.content) as Resource;
  }
  return version;
}

/** Encodes a page position as an opaque, versioned token. */
function formatCursor(cursor: Cursor): string {
  const value = "lastUpdated" in cursor ? { v: 1, u: cursor.lastUpdated, t: cursor.type, k: cursor.id, n: cursor.vid } : { v: 1, n: cursor.vid };
  return encodeBase64Url(JSON.stringify(value));
}

function parseCursor(token: string): Cursor {
  try {
    const value = JSON.parse(decodeBase64Url(token)) as { v?: unknown; u?: unknown; t?: unknown; k?: unknown; n?: unknown };
    if (value.v === 1 && typeof value.n === "number" && Number.isSafeInteger(value.n)) {
      if (value.u === undefined) return { vid: value.n };
      if (typeof value.u === "string" && !Number.isNaN(Date.parse(value.u)) && typeof value.t === "string" && typeof value.k === "string") {
        return { lastUpdated: value.u, type: value.t, id: value.k, vid: value.n };
      }
    }
  } catch {
    // Falls through to the error below.
  }
  throw invalidCursor();
}

function invalidCursor(): FhirError {
  return new FhirError("invalid", "The history paging cursor is invalid or expired; start again from the first page.");
}
