import type { OperationResult } from "@flint/repository";
import type { SqlClient } from "./client.ts";
import type { Tables } from "./schema.ts";
import { forChunks } from "./sql.ts";

/**
 * Tells whether the versions that a transaction returned were committed, after its connection
 * failed once COMMIT may have been sent. A version counts as committed when its row exists with
 * the same `last_updated` and content. A transaction commits all of its rows or none, so it
 * returns true only when every written version is found.
 */
export async function confirmWritten(client: SqlClient, tables: Tables, results: readonly OperationResult[]): Promise<boolean> {
  const written = results.flatMap((result) => (result.written && result.version !== undefined ? [result.version] : []));
  if (written.length === 0) return true;
  const found = await forChunks<{ type: string }>(
    client,
    `SELECT v.type FROM ${tables.version} v
       JOIN json_to_recordset($1::text::json) AS k(type text, id text, vid integer, last_updated text, content text)
         ON v.type = k.type COLLATE "C" AND v.id = k.id COLLATE "C" AND v.vid = k.vid
      WHERE v.last_updated = k.last_updated::timestamptz AND v.content IS NOT DISTINCT FROM k.content`,
    written.map((version) => ({ type: version.resourceType, id: version.id, vid: version.versionId, last_updated: version.lastUpdated, content: version.json ?? null })),
  );
  return found.length === written.length;
}
