import type { SqlClient } from "./client.ts";

/** Formats a timestamptz column as an ISO 8601 instant in UTC with milliseconds, the form of `meta.lastUpdated`. */
export function isoInstant(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Rows per statement when a batch of rows is sent as one JSON parameter. */
const ROWS_PER_STATEMENT = 1_000;

/** JSON text per statement, well below PostgreSQL's 1 GB limit on one value, so memory stays modest. */
const BYTES_PER_STATEMENT = 8_000_000;

/**
 * Runs `statement` once per chunk of `rows`, with the chunk as JSON text in `$1`, and returns
 * the rows every run returned. The statement reads the chunk with `json_to_recordset($1::text::json)`,
 * so one round trip writes up to a thousand rows, and string values (resource text included)
 * arrive exactly as given.
 */
export async function forChunks<Row = Record<string, unknown>>(client: SqlClient, statement: string, rows: readonly object[]): Promise<Row[]> {
  const returned: Row[] = [];
  let chunk: string[] = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    returned.push(...(await client.query<Row>(statement, [`[${chunk.join(",")}]`])));
    chunk = [];
    bytes = 0;
  };

  for (const row of rows) {
    const text = JSON.stringify(row);
    if (chunk.length >= ROWS_PER_STATEMENT || (chunk.length > 0 && bytes + text.length > BYTES_PER_STATEMENT)) await flush();
    chunk.push(text);
    bytes += text.length;
  }
  await flush();
  return returned;
}
