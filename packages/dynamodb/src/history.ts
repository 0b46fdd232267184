import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput } from "@aws-sdk/lib-dynamodb";
import { decodeBase64Url, encodeBase64Url, FhirError } from "@flint/core";
import type { HistoryPage, HistoryQuery, StoredVersion, VersionMethod } from "@flint/repository";
import { type FlintService, HISTORY_SHARDS, SDK_ERRORS } from "./entities.ts";
import { withRetries } from "./retry.ts";

/** Items a type or system history page may examine per shard when `_at` filters them out. */
const AT_SCAN_BUDGET = 2_000;

/** Version item fields that history needs, as ElectroDB returns them. */
export interface VersionItem {
  resourceType: string;
  id: string;
  vid: number;
  lastUpdated: string;
  method: VersionMethod;
  deleted: boolean;
  supersededAt?: string | undefined;
  body?: unknown;
  bodyToken?: string | undefined;
  bodyParts?: number | undefined;
  tx?: string | undefined;
}

type ToVersion = (item: VersionItem) => Promise<StoredVersion>;

/** Tells whether a version item is visible: written outside a transaction, or by a committed one. */
type IsVisible = (item: VersionItem) => Promise<boolean>;

interface Cursor {
  /** Version number (instance history) or GSI sort key (type and system history) of the last entry. */
  after: number | string;
}

/**
 * Reads one page of history, newest first (R4 http.html#history).
 *
 * Instance history walks the version items of one resource. Type and system history query
 * every shard of their GSI and merge the shards by sort key `lastUpdated#…`.
 */
export async function readHistory(
  service: FlintService,
  client: DynamoDBDocumentClient,
  query: HistoryQuery,
  toVersion: ToVersion,
  isVisible: IsVisible,
): Promise<HistoryPage> {
  const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  if (query.resourceType !== undefined && query.id !== undefined) {
    return instanceHistory(service, { ...query, resourceType: query.resourceType, id: query.id }, cursor, toVersion, isVisible);
  }
  return feedHistory(service, client, query, cursor, toVersion, isVisible);
}

async function instanceHistory(
  service: FlintService,
  query: HistoryQuery & { resourceType: string; id: string },
  cursor: Cursor | undefined,
  toVersion: ToVersion,
  isVisible: IsVisible,
): Promise<HistoryPage> {
  const upper = typeof cursor?.after === "number" ? cursor.after - 1 : 9_999_999_999;
  const { data } = await withRetries(() =>
    service.entities.version.query
      .primary({ resourceType: query.resourceType, id: query.id })
      .between({ vid: 0 }, { vid: upper })
      .where((attributes, operations) => timeFilter(attributes, operations, query))
      .go({ ...SDK_ERRORS, order: "desc", count: query.count + 1, pages: "all", consistent: true }),
  );

  const page = data.slice(0, query.count);
  const visible = await filterVisible(page, isVisible);
  const entries = await Promise.all(visible.map((item) => toVersion(item)));
  const last = page.at(-1);
  return data.length > query.count && last !== undefined ? { entries, next: formatCursor({ after: last.vid }) } : { entries };
}

/** Builds the `_since` and `_at` filter, or an empty expression when neither is set. */
function timeFilter(
  attributes: Record<"lastUpdated" | "supersededAt", unknown>,
  operations: {
    gte: (attribute: never, value: string) => string;
    lt: (attribute: never, value: string) => string;
    gt: (attribute: never, value: string) => string;
    notExists: (attribute: never) => string;
  },
  query: HistoryQuery,
): string {
  const clauses: string[] = [];
  const lastUpdated = attributes.lastUpdated as never;
  const supersededAt = attributes.supersededAt as never;
  if (query.since !== undefined) clauses.push(operations.gte(lastUpdated, query.since));
  if (query.at !== undefined) {
    clauses.push(operations.lt(lastUpdated, query.at.end));
    clauses.push(`(${operations.notExists(supersededAt)} OR ${operations.gt(supersededAt, query.at.start)})`);
  }
  return clauses.join(" AND ");
}

async function feedHistory(
  service: FlintService,
  client: DynamoDBDocumentClient,
  query: HistoryQuery,
  cursor: Cursor | undefined,
  toVersion: ToVersion,
  isVisible: IsVisible,
): Promise<HistoryPage> {
  const system = query.resourceType === undefined;
  const index = system ? "gsi2" : "gsi1";
  const before = typeof cursor?.after === "string" ? cursor.after : undefined;

  const shards = await Promise.all(
    Array.from({ length: HISTORY_SHARDS }, (_, shard) => {
      const partition = system ? `HS#${shard}` : `HT#${query.resourceType}#${shard}`;
      return queryShard(service, client, index, partition, query, before);
    }),
  );

  const merged = shards.flat().sort((a, b) => descending(a.sortKey, b.sortKey));
  const page = merged.slice(0, query.count);
  const keys = page.map(({ item }) => ({ resourceType: item.resourceType, id: item.id, vid: item.vid }));
  const bodies = keys.length === 0 ? new Map<string, VersionItem>() : await loadVersions(service, keys);
  const visible = await filterVisible(page.map(({ item }) => item), isVisible);
  const entries = await Promise.all(visible.map((item) => toVersion(bodies.get(versionKey(item)) ?? item)));

  const last = page.at(-1);
  return merged.length > query.count && last !== undefined ? { entries, next: formatCursor({ after: last.sortKey }) } : { entries };
}

/** Queries one shard of a history GSI for up to `count + 1` versions older than `before`. */
async function queryShard(
  service: FlintService,
  client: DynamoDBDocumentClient,
  index: "gsi1" | "gsi2",
  partition: string,
  query: HistoryQuery,
  before: string | undefined,
): Promise<Array<{ sortKey: string; item: VersionItem }>> {
  const sortKeyName = `${index}sk`;
  const upper = minString(before, query.at?.end);
  const names: Record<string, string> = { "#pk": `${index}pk` };
  const values: Record<string, unknown> = { ":pk": partition };
  let condition = "#pk = :pk";
  if (query.since !== undefined && upper !== undefined) {
    condition += " AND #sk BETWEEN :since AND :upper";
    values[":since"] = query.since;
    values[":upper"] = upper;
  } else if (query.since !== undefined) {
    condition += " AND #sk >= :since";
    values[":since"] = query.since;
  } else if (upper !== undefined) {
    condition += " AND #sk < :upper";
    values[":upper"] = upper;
  }

  if (condition.includes("#sk")) names["#sk"] = sortKeyName;

  const input: QueryCommandInput = {
    TableName: service.getTableName(),
    IndexName: index,
    KeyConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: false,
  };
  if (query.at !== undefined) {
    input.FilterExpression = "attribute_not_exists(#superseded) OR #superseded > :start";
    names["#superseded"] = "supersededAt";
    values[":start"] = query.at.start;
  }

  const found: Array<{ sortKey: string; item: VersionItem }> = [];
  let scanned = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const output: QueryCommandOutput = await withRetries(() =>
      client.send(
        new QueryCommand({ ...input, Limit: query.count + 1, ExclusiveStartKey: startKey }),
      ),
    );
    for (const raw of output.Items ?? []) {
      const sortKey = raw[sortKeyName] as string;
      // BETWEEN includes its upper bound, but the cursor entry itself was already returned.
      if (before !== undefined && sortKey >= before) continue;
      found.push({ sortKey, item: service.entities.version.parse({ Item: raw }).data as VersionItem });
    }
    scanned += output.ScannedCount ?? 0;
    startKey = output.LastEvaluatedKey;
    if (scanned > AT_SCAN_BUDGET && found.length <= query.count && startKey !== undefined) {
      throw new FhirError(
        "too-costly",
        `History with _at examined more than ${AT_SCAN_BUDGET} versions per shard; add _since or narrow _at.`,
      );
    }
  } while (startKey !== undefined && found.length <= query.count);

  return found;
}

async function loadVersions(
  service: FlintService,
  keys: Array<{ resourceType: string; id: string; vid: number }>,
): Promise<Map<string, VersionItem>> {
  const { data, unprocessed } = await withRetries(() => service.entities.version.get(keys).go({ ...SDK_ERRORS, concurrency: 4 }));
  if (unprocessed.length > 0) {
    throw new FhirError("transient", "The database did not return every history entry; retry the request.");
  }
  return new Map(data.map((item) => [versionKey(item), item as VersionItem]));
}

/**
 * Drops versions staged by transactions that have not committed. A page may then hold fewer
 * entries than `_count`, which R4 allows.
 */
async function filterVisible(items: VersionItem[], isVisible: IsVisible): Promise<VersionItem[]> {
  const flags = await Promise.all(items.map((item) => isVisible(item)));
  return items.filter((_, index) => flags[index]);
}

function versionKey(item: { resourceType: string; id: string; vid: number }): string {
  return `${item.resourceType}/${item.id}/${item.vid}`;
}

function minString(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a < b ? a : b;
}

/** Orders sort keys from newest to oldest. */
function descending(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? 1 : -1;
}

/** Encodes a page position as an opaque, versioned token. */
function formatCursor(cursor: Cursor): string {
  return encodeBase64Url(JSON.stringify({ v: 1, ...cursor }));
}

function parseCursor(token: string): Cursor {
  try {
    const value = JSON.parse(decodeBase64Url(token)) as { v?: unknown; after?: unknown };
    if (value.v === 1 && (typeof value.after === "number" || typeof value.after === "string")) {
      return { after: value.after };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new FhirError("invalid", "The history paging cursor is invalid or expired; start again from the first page.");
}
