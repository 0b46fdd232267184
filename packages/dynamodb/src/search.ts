import { QueryCommand, type QueryCommandOutput } from "@aws-sdk/lib-dynamodb";
import type { Resource } from "fhir/r4";
import { compareForSort, extractSearchValues, FhirError, matchesQuery, type QueryClause, type SearchQuery } from "@flint/core";
import type { SearchPage, StoredResource } from "@flint/repository";
import { loadBody } from "./bodies.ts";
import { HISTORY_SHARDS } from "./entities.ts";
import { tokenQueryKeys, typeKey } from "./index-keys.ts";
import { boundKey, boundSort, escapePart } from "./search/encode.ts";
import { stringBucket } from "./search/items.ts";
import { readHeads } from "./plan.ts";
import { withRetries } from "./retry.ts";
import type { Store } from "./store.ts";
import { TxStatusReader, visibleVersion } from "./visibility.ts";

/** Candidates checked per page before a short page is returned with a `next` cursor. */
const CANDIDATE_BUDGET = 2_000;

/** Ids read from one index partition before the search is rejected as too costly. */
const MAX_PARTITION_IDS = 100_000;

/**
 * Runs a search (R4 search.html) in id order. Clauses that an index serves (`_id`, tokens,
 * references, string prefixes) propose candidates from it; without one, every resource of the
 * type is a candidate, read from the sharded type index. Each candidate's visible version is read and checked against every
 * clause, so index items of uncommitted or superseded versions never produce a wrong match.
 *
 * Hint: without such a clause a page examines at most `CANDIDATE_BUDGET`
 * resources, so on a large type a page may hold fewer matches than `_count`, even none, with a
 * `next` link to continue; R4 allows short pages (search.html#count).
 */
export async function runSearch(store: Store, query: SearchQuery): Promise<SearchPage> {
  const resourceType = query.resourceTypes[0];
  if (resourceType === undefined || query.resourceTypes.length !== 1) {
    throw new FhirError("not-supported", "Searches across several resource types are not supported yet.");
  }
  const request = { resourceType, clauses: query.clauses, count: query.count };
  if (request.count === 0) return { entries: [] };
  const after = query.cursor === undefined ? "" : parseCursor(query.cursor);
  const indexed = request.clauses.flatMap((clause) => indexFor(resourceType, clause) ?? []);
  const candidates = indexed.length === 0 ? typeCandidates(store, resourceType) : await clauseCandidates(store, indexed);
  if (query.sort.length > 0) return sortedSearch(store, request, query.sort, candidates, after);

  const statuses = new TxStatusReader(store);
  const matches: StoredResource[] = [];
  let position = after;
  let examined = 0;
  while (matches.length <= request.count && examined < CANDIDATE_BUDGET) {
    const batch = await candidates(position, Math.min(100, request.count + 1 - matches.length + 10));
    if (batch.length === 0) return { entries: matches.slice(0, request.count) };

    const found = await hydrate(store, request, batch, statuses);
    for (const id of batch) {
      examined++;
      position = id;
      const match = found.get(id);
      if (match !== undefined) matches.push(match.stored);
      if (matches.length > request.count) break;
    }
  }

  if (matches.length > request.count) {
    const page = matches.slice(0, request.count);
    return { entries: page, next: formatCursor(page.at(-1)!.id) };
  }
  return { entries: matches, next: formatCursor(position) };
}

type Candidates = (after: string, limit: number) => Promise<string[]>;

/** Most candidates a sorted search examines; sorting needs every match before the first page. */
const MAX_SORTED_CANDIDATES = 10_000;

/**
 * Runs a search with `_sort` (R4 search.html#sort). Every match is read and sorted by the keys,
 * then by id, and pages are slices of that order, so paging never repeats or skips a resource
 * while the data does not change. The cursor is the position in the order.
 */
async function sortedSearch(
  store: Store,
  request: { resourceType: string; clauses: readonly QueryClause[]; count: number },
  sort: SearchQuery["sort"],
  candidates: Candidates,
  after: string,
): Promise<SearchPage> {
  const offset = after === "" ? 0 : Number(after.slice(1));
  if (!after.startsWith("#") && after !== "") throw new FhirError("invalid", "The search paging cursor is invalid; start again from the first page.");

  const statuses = new TxStatusReader(store);
  const matches: Array<{ id: string; stored: StoredResource; values: ReturnType<typeof extractSearchValues> }> = [];
  let position = "";
  let examined = 0;
  for (;;) {
    const batch = await candidates(position, 100);
    if (batch.length === 0) break;
    examined += batch.length;
    if (examined > MAX_SORTED_CANDIDATES) {
      throw new FhirError("too-costly", `Sorting would read more than ${MAX_SORTED_CANDIDATES} resources; add criteria that narrow the search.`);
    }
    const found = await hydrate(store, request, batch, statuses);
    for (const id of batch) {
      const match = found.get(id);
      if (match !== undefined) matches.push({ id, ...match });
    }
    position = batch.at(-1)!;
  }

  matches.sort((a, b) => compareForSort(sort, a, b));
  const page = matches.slice(offset, offset + request.count).map((match) => match.stored);
  return offset + request.count < matches.length ? { entries: page, next: formatCursor(`#${offset + request.count}`) } : { entries: page };
}

/** Candidates of a search without criteria: every resource of the type, from the sharded type index. */
function typeCandidates(store: Store, resourceType: string): Candidates {
  return async (after, limit) => {
    const shards = await Promise.all(
      Array.from({ length: HISTORY_SHARDS }, (_, shard) => queryIds(store, typeKey(resourceType, shard), { after }, limit)),
    );
    return shards.flat().sort().slice(0, limit);
  };
}

/** A clause with the index partitions whose union contains every resource it can match. */
interface IndexedClause {
  clause: QueryClause;
  /** Equality partitions, read whole. */
  keys: string[];
  /** Range partitions with a sort-key prefix, for string prefixes. */
  prefixes: Array<{ key: string; prefix: string }>;
}

/**
 * Finds the index partitions that serve a clause, or undefined when none does and the type's
 * resources must be scanned: `_id`, tokens without a modifier, references by `Type/id` or URL,
 * and strings by prefix (default and `:exact`). Other clauses are checked on the candidates.
 */
function indexFor(resourceType: string, clause: QueryClause): IndexedClause | undefined {
  if (clause.kind !== "parameter" || clause.values.length === 0) return undefined;
  const keys: string[] = [];
  const prefixes: Array<{ key: string; prefix: string }> = [];
  for (const value of clause.values) {
    if (clause.type === "token" && clause.modifier === undefined && value.type === "token") {
      if (value.code === undefined && value.system === undefined) return undefined;
      if (clause.parameter === "_id") continue;
      keys.push(...tokenQueryKeys(resourceType, clause.parameter, value));
    } else if (clause.type === "reference" && clause.modifier === undefined && value.type === "reference") {
      if (value.resourceType !== undefined && value.id !== undefined) keys.push(boundKey(`R#${resourceType}#${clause.parameter}#`, escapePart(`${value.resourceType}/${value.id}`)));
      else if (value.url !== undefined) keys.push(boundKey(`R#${resourceType}#${clause.parameter}#U#`, escapePart(value.url)));
      else return undefined;
    } else if (clause.type === "string" && (clause.modifier === undefined || clause.modifier === "exact") && value.type === "string") {
      if (value.normalized === "") return undefined;
      prefixes.push({ key: `S#${resourceType}#${clause.parameter}#${stringBucket(value.normalized)}`, prefix: boundSort(value.normalized) });
    } else {
      return undefined;
    }
  }
  return { clause, keys, prefixes };
}

/** Candidates from indexed clauses: the intersection over clauses of the union over values. */
async function clauseCandidates(store: Store, clauses: readonly IndexedClause[]): Promise<Candidates> {
  let result: Set<string> | undefined;
  for (const indexed of clauses) {
    const ids = await clauseIds(store, indexed);
    result = result === undefined ? ids : new Set([...result].filter((id) => ids.has(id)));
    if (result.size === 0) break;
  }
  const sorted = [...(result ?? [])].sort();
  return async (after, limit) => sorted.filter((id) => id > after).slice(0, limit);
}

async function clauseIds(store: Store, indexed: IndexedClause): Promise<Set<string>> {
  const clause = indexed.clause;
  if (clause.kind === "parameter" && clause.parameter === "_id") {
    return new Set(clause.values.flatMap((value) => (value.type === "token" && value.code !== undefined ? [value.code] : [])));
  }
  const reads = [
    ...indexed.keys.map((key) => queryIds(store, key, {}, MAX_PARTITION_IDS + 1)),
    ...indexed.prefixes.map(({ key, prefix }) => queryIds(store, key, { prefix }, MAX_PARTITION_IDS + 1)),
  ];
  const ids = new Set((await Promise.all(reads)).flat());
  if (ids.size > MAX_PARTITION_IDS) {
    const name = clause.kind === "parameter" ? clause.parameter : "A";
    throw new FhirError("too-costly", `The ${name} criteria match more than ${MAX_PARTITION_IDS} resources; add criteria that narrow the search.`);
  }
  return ids;
}

/**
 * Reads the resource ids of one index partition with strong consistency, up to `limit`:
 * those after `after` in sort-key order, or those whose sort key starts with `prefix`.
 */
async function queryIds(store: Store, key: string, range: { after?: string; prefix?: string }, limit: number): Promise<string[]> {
  const names: Record<string, string> = { "#pk": "pk" };
  const values: Record<string, unknown> = { ":pk": `I#${key}` };
  let condition = "#pk = :pk";
  if (range.after !== undefined && range.after !== "") {
    condition += " AND #sk > :after";
    names["#sk"] = "sk";
    values[":after"] = range.after;
  } else if (range.prefix !== undefined) {
    condition += " AND begins_with(#sk, :prefix)";
    names["#sk"] = "sk";
    values[":prefix"] = range.prefix;
  }

  const ids: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const output: QueryCommandOutput = await withRetries(() =>
      store.client.send(
        new QueryCommand({
          TableName: store.tableName,
          KeyConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ProjectionExpression: "id",
          ConsistentRead: true,
          Limit: Math.min(limit - ids.length, 1_000),
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for (const item of output.Items ?? []) ids.push(item.id as string);
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined && ids.length < limit);
  return ids;
}

/** A candidate that matched, with the search values extracted to check it, which sorting reuses. */
interface Hit {
  stored: StoredResource;
  values: ReturnType<typeof extractSearchValues>;
}

/** Reads the visible versions of candidates and keeps those that match every clause. */
async function hydrate(
  store: Store,
  request: { resourceType: string; clauses: readonly QueryClause[] },
  ids: string[],
  statuses: TxStatusReader,
): Promise<Map<string, Hit>> {
  const { resourceType } = request;
  const heads = await readHeads(store, ids.map((id) => ({ resourceType, id })));
  const found = new Map<string, Hit>();
  await Promise.all(
    ids.map(async (id) => {
      const visible = await visibleVersion(store, heads.get(`${resourceType}/${id}`), statuses);
      if (visible === undefined || visible.deleted) return;
      const json = await loadBody(store, resourceType, id, visible);
      const resource = JSON.parse(json) as Resource;
      const values = extractSearchValues(resource);
      if (!matchesQuery(resource, request.clauses, values)) return;
      const stored: StoredResource = { resourceType, id, versionId: visible.vid, lastUpdated: visible.lastUpdated, method: "PUT", deleted: false, resource, json };
      found.set(id, { stored, values });
    }),
  );
  return found;
}

function formatCursor(after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after })).toString("base64url");
}

function parseCursor(token: string): string {
  try {
    const value = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { v?: unknown; after?: unknown };
    if (value.v === 1 && typeof value.after === "string") return value.after;
  } catch {
    // Falls through to the error below.
  }
  throw new FhirError("invalid", "The search paging cursor is invalid; start again from the first page.");
}
