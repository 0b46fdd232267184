import { createHash } from "node:crypto";
import type { Resource } from "fhir/r4";
import { FhirError, matchesQuery, type SearchQuery } from "@flint/core";
import { OperationError, stampVersion, type OperationResult, type StoredVersion, type VersionMethod, type WriteOperation } from "@flint/repository";
import type { SqlClient } from "./client.ts";
import { confirmWritten } from "./confirm.ts";
import { backoff, inTransaction } from "./errors.ts";
import type { Tables } from "./schema.ts";
import { INDEX_FAMILIES, indexRows, type IndexRows } from "./search/rows.ts";
import { forChunks, isoInstant } from "./sql.ts";

/** Transactions that lost a race to another writer before the write gives up with 409. */
const MAX_ATTEMPTS = 8;

export interface WriteContext {
  client: SqlClient;
  tables: Tables;
  now: () => Date;
}

/** Current state of a resource as read before a write. */
interface Head {
  type: string;
  id: string;
  vid: number;
  last_updated: string;
  deleted: boolean;
}

/** One write, fully decided: the version it replaces (0 for none), what it stores, and its claim. */
interface PlannedWrite {
  index: number;
  type: string;
  id: string;
  method: VersionMethod;
  expectedVid: number;
  newVid: number;
  lastUpdated: string;
  deleted: boolean;
  created: boolean;
  resource?: Resource;
  json?: string;
  rows?: IndexRows;
  claim?: { key: string; previousId?: string };
}

/** A conditional write matched no row because another transaction changed it first; the transaction rolls back. */
class LostRace extends Error {
  constructor(
    readonly operation: number,
    readonly reason: "head" | "claim",
  ) {
    super(`Operation ${operation} lost a race on its ${reason}.`);
  }
}

/**
 * Commits operations all or nothing, in one SQL transaction (R4 http.html#trules). Each attempt
 * reads the current rows, plans every write against the versions read, and writes each row on
 * the condition that its version is still the one read. When another writer got in first, the
 * transaction rolls back and the attempt starts again, unless an operation pinned its version
 * with `ifMatch`, which then fails with reason `version`.
 */
export async function runTransaction(context: WriteContext, operations: readonly WriteOperation[]): Promise<OperationResult[]> {
  checkDistinct(operations);

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    try {
      return await inTransaction(
        context.client,
        (client) => attemptWrites(context, client, operations, attempt > 1),
        (results) => confirmWritten(context.client, context.tables, results),
      );
    } catch (error) {
      if (!(error instanceof LostRace)) throw error;
      const failed = operations[error.operation]!;
      if (error.reason === "claim") throw claimedError(error.operation, failed.resourceType);
      if (failed.ifMatch !== undefined) {
        throw new OperationError(error.operation, "version", `${failed.resourceType}/${failed.id} changed while the write was being prepared.`);
      }
      await backoff(attempt);
    }
  }
  throw new FhirError("conflict", "The resources are being changed by other requests; send the request again.");
}

function checkDistinct(operations: readonly WriteOperation[]): void {
  const seen = new Set<string>();
  operations.forEach((operation, index) => {
    const key = `${operation.resourceType}/${operation.id}`;
    if (seen.has(key)) throw new OperationError(index, "conflict", `${key} is the target of more than one operation.`);
    seen.add(key);
  });
}

/**
 * Plans and writes the operations. A create's head is read only on a retry: its id is new, so the
 * first attempt relies on the head insert's `ON CONFLICT DO NOTHING`, and a conflict starts a
 * retry that reads the head and reports the resource as existing. That saves a create a round trip.
 */
async function attemptWrites(context: WriteContext, client: SqlClient, operations: readonly WriteOperation[], readCreates: boolean): Promise<OperationResult[]> {
  const needHeads = readCreates ? operations : operations.filter((operation) => operation.kind !== "create");
  const heads = await readHeads(client, context.tables, needHeads);
  const now = context.now();
  const planned: PlannedWrite[] = [];
  const results: OperationResult[] = [];

  for (const [index, operation] of operations.entries()) {
    const head = heads.get(`${operation.resourceType}/${operation.id}`);
    const outcome = plan(index, operation, head, now);
    if ("result" in outcome) {
      results[index] = outcome.result;
      continue;
    }
    if (operation.conditional !== undefined) outcome.write.claim = await planClaim(client, context.tables, index, operation.conditional);
    planned.push(outcome.write);
  }
  if (planned.length === 0) return results;

  await commit(client, context.tables, planned);
  for (const write of planned) results[write.index] = resultOf(write);
  return results;
}

/** Reads the current rows of the resources that operations name, in batches. */
async function readHeads(client: SqlClient, tables: Tables, operations: readonly WriteOperation[]): Promise<Map<string, Head>> {
  const keys = operations.map((operation) => ({ type: operation.resourceType, id: operation.id }));
  const rows = await forChunks<Head>(
    client,
    `SELECT r.type, r.id, r.vid, ${isoInstant("r.last_updated")} AS last_updated, r.deleted
       FROM ${tables.resource} r
       JOIN json_to_recordset($1::text::json) AS k(type text, id text) ON r.type = k.type COLLATE "C" AND r.id = k.id COLLATE "C"`,
    keys,
  );
  return new Map(rows.map((row) => [`${row.type}/${row.id}`, row]));
}

/** Decides one operation against the head read: a planned write, or a result without a write. */
function plan(index: number, operation: WriteOperation, head: Head | undefined, now: Date): { write: PlannedWrite } | { result: OperationResult } {
  const { resourceType, id } = operation;
  const live = head !== undefined && !head.deleted;
  if (operation.ifMatch !== undefined && head?.vid !== operation.ifMatch) {
    const current = head === undefined ? "does not exist" : `is at version ${head.vid}`;
    throw new OperationError(index, "version", `If-Match expected version ${operation.ifMatch} of ${resourceType}/${id}, but the resource ${current}.`);
  }
  if (operation.kind === "create" && head !== undefined) {
    throw new OperationError(index, "exists", `${resourceType}/${id} already exists.`);
  }
  if (operation.kind === "delete" && !live) {
    if (head === undefined) return { result: { created: false, written: false } };
    const tombstone: StoredVersion = { resourceType, id, versionId: head.vid, lastUpdated: head.last_updated, method: "DELETE", deleted: true };
    return { result: { created: false, written: false, version: tombstone } };
  }

  const deleted = operation.kind === "delete";
  const write: PlannedWrite = {
    index,
    type: resourceType,
    id,
    method: operation.method,
    expectedVid: head?.vid ?? 0,
    newVid: (head?.vid ?? 0) + 1,
    lastUpdated: nextTimestamp(now, head?.last_updated),
    deleted,
    created: !live && !deleted,
  };
  if (!deleted) {
    if (operation.resource === undefined) throw new FhirError("exception", `Operation ${index} has no resource to store.`);
    const stamped = stampVersion(operation.resource, operation.source, write.newVid, write.lastUpdated);
    write.resource = stamped.resource;
    write.json = stamped.json;
    write.rows = indexRows(stamped.resource);
  }
  return { write };
}

/**
 * Decides how a conditional create claims its criteria: a new claim, or the takeover of a claim
 * whose resource no longer matches them. A claim whose resource still matches means that another
 * request created a match after the caller searched.
 */
async function planClaim(client: SqlClient, tables: Tables, index: number, criteria: SearchQuery): Promise<{ key: string; previousId?: string }> {
  const resourceType = criteria.resourceTypes[0]!;
  const canonical = JSON.stringify(
    criteria.clauses
      .map((clause) => JSON.stringify(clause.kind === "parameter" ? { ...clause, values: clause.values.map((value) => JSON.stringify(value)).sort() } : clause))
      .sort(),
  );
  const key = `${resourceType}#${createHash("sha256").update(canonical).digest("base64url")}`;
  const [claim] = await client.query<{ id: string }>(`SELECT id FROM ${tables.claim} WHERE key = $1`, [key]);
  if (claim === undefined) return { key };

  const [current] = await client.query<{ content: string | null }>(
    `SELECT content FROM ${tables.resource} WHERE type = $1 AND id = $2 AND NOT deleted`,
    [resourceType, claim.id],
  );
  if (current?.content != null && matchesQuery(JSON.parse(current.content) as Resource, criteria.clauses)) throw claimedError(index, resourceType);
  return { key, previousId: claim.id };
}

function claimedError(index: number, resourceType: string): OperationError {
  return new OperationError(index, "claimed", `Another request created a match for the conditional create of ${resourceType} first.`);
}

/**
 * Writes the planned operations in (type, id) order, which makes deadlocks between two bundles
 * rarer. Each head row is inserted only if absent, or updated only while its version is still
 * the one read. A head row that does not change raises LostRace. Then the new versions, the
 * `superseded_at` of the previous ones, the index rows and the claims are written.
 */
async function commit(client: SqlClient, tables: Tables, planned: PlannedWrite[]): Promise<void> {
  const writes = [...planned].sort((a, b) => compareKeys(a, b));
  const fresh = writes.filter((write) => write.expectedVid === 0);
  const existing = writes.filter((write) => write.expectedVid > 0);

  const inserted = await forChunks<{ type: string; id: string }>(
    client,
    `INSERT INTO ${tables.resource} (type, id, vid, last_updated, deleted, content)
     SELECT k.type, k.id, k.vid, k.last_updated::timestamptz, k.deleted, k.content
       FROM json_to_recordset($1::text::json) AS k(type text, id text, vid integer, last_updated text, deleted boolean, content text)
     ON CONFLICT (type, id) DO NOTHING
     RETURNING type, id`,
    fresh.map((write) => ({ type: write.type, id: write.id, vid: write.newVid, last_updated: write.lastUpdated, deleted: write.deleted, content: write.json ?? null })),
  );
  checkAllWritten(fresh, inserted);

  const updated = await forChunks<{ type: string; id: string }>(
    client,
    `UPDATE ${tables.resource} r
        SET vid = k.vid, last_updated = k.last_updated::timestamptz, deleted = k.deleted, content = k.content
       FROM json_to_recordset($1::text::json) AS k(type text, id text, expected integer, vid integer, last_updated text, deleted boolean, content text)
      WHERE r.type = k.type COLLATE "C" AND r.id = k.id COLLATE "C" AND r.vid = k.expected
     RETURNING r.type, r.id`,
    existing.map((write) => ({
      type: write.type,
      id: write.id,
      expected: write.expectedVid,
      vid: write.newVid,
      last_updated: write.lastUpdated,
      deleted: write.deleted,
      content: write.json ?? null,
    })),
  );
  checkAllWritten(existing, updated);

  await writeVersions(client, tables, writes, existing);
  await writeIndexRows(client, tables, writes, existing);
  await writeClaims(client, tables, writes);
}

function compareKeys(a: { type: string; id: string }, b: { type: string; id: string }): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  if (a.id === b.id) return 0;
  return a.id < b.id ? -1 : 1;
}

/** Raises LostRace for the first planned write whose row the statement did not change. */
function checkAllWritten(writes: PlannedWrite[], changed: Array<{ type: string; id: string }>): void {
  if (changed.length === writes.length) return;
  const done = new Set(changed.map((row) => `${row.type}/${row.id}`));
  const lost = writes.filter((write) => !done.has(`${write.type}/${write.id}`)).sort((a, b) => a.index - b.index)[0];
  throw new LostRace(lost?.index ?? writes[0]!.index, "head");
}

async function writeVersions(client: SqlClient, tables: Tables, writes: PlannedWrite[], existing: PlannedWrite[]): Promise<void> {
  await forChunks(
    client,
    `INSERT INTO ${tables.version} (type, id, vid, last_updated, method, deleted, content)
     SELECT k.type, k.id, k.vid, k.last_updated::timestamptz, k.method, k.deleted, k.content
       FROM json_to_recordset($1::text::json) AS k(type text, id text, vid integer, last_updated text, method text, deleted boolean, content text)`,
    writes.map((write) => ({
      type: write.type,
      id: write.id,
      vid: write.newVid,
      last_updated: write.lastUpdated,
      method: write.method,
      deleted: write.deleted,
      content: write.json ?? null,
    })),
  );
  // `_at` reads a version as current from its own last_updated until its successor's.
  await forChunks(
    client,
    `UPDATE ${tables.version} v SET superseded_at = k.at::timestamptz
       FROM json_to_recordset($1::text::json) AS k(type text, id text, vid integer, at text)
      WHERE v.type = k.type COLLATE "C" AND v.id = k.id COLLATE "C" AND v.vid = k.vid`,
    existing.map((write) => ({ type: write.type, id: write.id, vid: write.expectedVid, at: write.lastUpdated })),
  );
}

/** Column definitions of each index family's rows, as `json_to_recordset` reads them. */
const FAMILY_COLUMNS: Record<keyof IndexRows, string> = {
  token: "param text, system text, code text, text text",
  string: "param text, value text",
  date: "param text, lo bigint, hi bigint",
  number: "param text, value double precision",
  quantity: "param text, value double precision, system text, code text, canonical_code text, canonical_value double precision",
  reference: "param text, local text, url text",
  uri: "param text, value text",
};

/** Replaces the index rows of every written resource: removes those of the previous version, adds those of the new one. */
async function writeIndexRows(client: SqlClient, tables: Tables, writes: PlannedWrite[], existing: PlannedWrite[]): Promise<void> {
  const keys = existing.map((write) => ({ type: write.type, id: write.id }));
  for (const family of INDEX_FAMILIES) {
    const table = tables[family];
    if (keys.length > 0) {
      await forChunks(
        client,
        `DELETE FROM ${table} x USING json_to_recordset($1::text::json) AS k(type text, id text)
          WHERE x.type = k.type COLLATE "C" AND x.id = k.id COLLATE "C"`,
        keys,
      );
    }

    const rows = writes.flatMap((write) => (write.rows?.[family] ?? []).map((row) => ({ type: write.type, id: write.id, ...row })));
    if (rows.length === 0) continue;
    const columns = FAMILY_COLUMNS[family];
    const names = columns.split(", ").map((column) => column.split(" ")[0]!);
    await forChunks(
      client,
      `INSERT INTO ${table} (type, id, ${names.join(", ")})
       SELECT k.type, k.id, ${names.map((name) => `k.${name}`).join(", ")}
         FROM json_to_recordset($1::text::json) AS k(type text, id text, ${columns})`,
      rows,
    );
  }
}

/** Writes the claims of conditional creates: a new key only if absent, a takeover only if the key still names the stale resource. */
async function writeClaims(client: SqlClient, tables: Tables, writes: PlannedWrite[]): Promise<void> {
  for (const write of writes) {
    if (write.claim === undefined) continue;
    const { key, previousId } = write.claim;
    const rows =
      previousId === undefined
        ? await client.query(`INSERT INTO ${tables.claim} (key, type, id) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING RETURNING key`, [key, write.type, write.id])
        : await client.query(`UPDATE ${tables.claim} SET id = $3 WHERE key = $1 AND id = $2 RETURNING key`, [key, previousId, write.id]);
    if (rows.length === 0) throw new LostRace(write.index, "claim");
  }
}

function resultOf(write: PlannedWrite): OperationResult {
  const version: StoredVersion = {
    resourceType: write.type,
    id: write.id,
    versionId: write.newVid,
    lastUpdated: write.lastUpdated,
    method: write.method,
    deleted: write.deleted,
  };
  if (write.resource !== undefined) version.resource = write.resource;
  if (write.json !== undefined) version.json = write.json;
  return { version, created: write.created, written: true };
}

/**
 * Returns a commit time later than the previous version's, so that the versions of one resource
 * are ordered by `lastUpdated` even when the clocks of two writers disagree by a few milliseconds.
 */
function nextTimestamp(now: Date, previous: string | undefined): string {
  if (previous === undefined) return now.toISOString();
  return new Date(Math.max(now.getTime(), Date.parse(previous) + 1)).toISOString();
}
