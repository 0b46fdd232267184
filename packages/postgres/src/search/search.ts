import type { Resource } from "fhir/r4";
import { compareForSort, extractSearchValues, FhirError, matchesQuery, parametersOf, type QueryClause, type SearchQuery } from "@flint/core";
import type { SearchPage, StoredResource } from "@flint/repository";
import type { SqlClient } from "../client.ts";
import type { Tables } from "../schema.ts";
import { isoInstant } from "../sql.ts";
import { clauseCondition, Parameters } from "./conditions.ts";
import { formatSearchCursor, invalidSearchCursor, parseSearchCursor, type Place, type SearchCursor } from "./cursor.ts";

/** Limits on the work of one search request (R4 search.html: a server may reject a search as too costly). */
export interface SearchLimits {
  /** Resources read and checked for one page of an unsorted search. */
  resourcesPerPage: number;
  /** Resources read and checked for a sorted search, which needs every match before its first page. */
  sortedResources: number;
  /** Time one request may spend, in ms. */
  timeMs: number;
}

/** The same limits as the DynamoDB store's, so both backends accept and reject the same searches. */
export const DEFAULT_SEARCH_LIMITS: SearchLimits = {
  resourcesPerPage: 2_000,
  sortedResources: 10_000,
  timeMs: 10_000,
};

/** Rows read per statement while a page is being filled. */
const PAGE_BATCH = 100;

/** Rows read per statement while a sorted search reads every match. */
const SORT_BATCH = 500;

interface Context {
  client: SqlClient;
  tables: Tables;
  limits: SearchLimits;
  types: readonly string[];
  clauses: readonly QueryClause[];
  /** Conditions on `r` shared by every statement of the request, with their parameters. */
  filter: { sql: string; parameters: readonly unknown[] };
  /** Clauses that no index serves, named in a too-costly error. */
  unserved: readonly QueryClause[];
  started: number;
  /** Resources read so far in this request. */
  read: number;
  /** Parameters extracted from each candidate: those of the clauses and the sort keys. */
  needed: ReadonlySet<string>;
}

/** A point in the (type, id) order, and the direction to read from it. */
interface Position {
  place?: Place;
  inclusive: boolean;
  backward: boolean;
}

interface ResourceRow {
  type: string;
  id: string;
  vid: number;
  last_updated: string;
  content: string;
}

/** A candidate that matched, with the search values extracted to check it, which sorting reuses. */
interface Hit {
  id: string;
  stored: StoredResource;
  values: ReturnType<typeof extractSearchValues>;
}

/**
 * Runs a search (R4 search.html) at type or system level. The clauses that an index serves
 * become SQL conditions, so PostgreSQL proposes candidates in (type, id) order. Every candidate
 * is then checked against all clauses in memory, which makes unindexed clauses, modifiers and
 * `ne` exact.
 *
 * Unsorted results are in (type, id) order and cursors are positions in it, so paging forward
 * and back never repeats or skips a resource while the data does not change (search.html#count).
 * A page that reaches the request's limits before `_count` matches is returned short with a
 * `next` cursor. With no match at all, the search is rejected as too costly, and the error names
 * the criteria that no index serves. `_sort` (search.html#sort) reads every match, up to
 * `sortedResources`, and sorts them in memory.
 */
export async function runSearch(client: SqlClient, tables: Tables, query: SearchQuery, limits: SearchLimits): Promise<SearchPage> {
  const types = [...new Set(query.resourceTypes)].sort();
  if (types.length === 0 || query.count === 0) return { entries: [] };
  const cursor = query.cursor === undefined ? undefined : parseSearchCursor(query.cursor);

  const context = buildContext(client, tables, limits, types, query.clauses, query.sort);
  if (query.sort.length > 0) return sortedSearch(context, query.sort, query.count, cursor);
  return unsortedSearch(context, query.count, cursor);
}

function buildContext(
  client: SqlClient,
  tables: Tables,
  limits: SearchLimits,
  types: readonly string[],
  clauses: readonly QueryClause[],
  sort: SearchQuery["sort"],
): Context {
  const parameters = new Parameters();
  const conditions = [`r.type IN (${types.map((type) => parameters.add(type)).join(", ")})`, "NOT r.deleted"];
  const unserved: QueryClause[] = [];
  const now = Date.now();
  for (const clause of clauses) {
    const condition = clauseCondition(tables, clause, parameters, now);
    if (condition === undefined) unserved.push(clause);
    else conditions.push(condition);
  }
  const filter = { sql: conditions.join(" AND "), parameters: parameters.values };
  return { client, tables, limits, types, clauses, filter, unserved, started: now, read: 0, needed: parametersOf(clauses, sort) };
}

async function unsortedSearch(context: Context, count: number, cursor: SearchCursor | undefined): Promise<SearchPage> {
  if (cursor !== undefined && "offset" in cursor) throw invalidSearchCursor();
  const backward = cursor !== undefined && "before" in cursor;
  const start: Position = { inclusive: cursor?.inclusive === true, backward };
  if (cursor !== undefined) start.place = "after" in cursor ? cursor.after : cursor.before;
  if (start.place !== undefined && !context.types.includes(start.place.type)) throw invalidSearchCursor();

  const { matches, stopped } = await collect(context, start, count + 1);
  if (stopped !== undefined && matches.length === 0) throw tooCostly(context, "page");

  const more = matches.length > count;
  const page = matches.slice(0, count);
  if (backward) page.reverse();
  const first = page[0] === undefined ? undefined : placeOf(page[0]);
  const last = page.at(-1) === undefined ? undefined : placeOf(page.at(-1)!);
  const stop = stopped === undefined ? undefined : stoppedPlace(context, stopped);

  const result: SearchPage = { entries: page };
  if (!backward) {
    if (more) result.next = formatSearchCursor({ after: last! });
    else if (stop !== undefined) result.next = formatSearchCursor({ after: stop.place, inclusive: stop.inclusive });
    if (start.place !== undefined) {
      result.previous = formatSearchCursor(first === undefined ? { before: start.place, inclusive: !start.inclusive } : { before: first });
    }
  } else {
    if (more) result.previous = formatSearchCursor({ before: first! });
    else if (stop !== undefined) result.previous = formatSearchCursor({ before: stop.place, inclusive: stop.inclusive });
    result.next = formatSearchCursor(last === undefined ? { after: start.place!, inclusive: !start.inclusive } : { after: last });
  }
  return result;
}

function placeOf(resource: StoredResource): Place {
  return { type: resource.resourceType, id: resource.id };
}

/** Returns the place where reading stopped, or before anything was read, the edge of the order in the reading direction. */
function stoppedPlace(context: Context, position: Position): { place: Place; inclusive: boolean } {
  if (position.place !== undefined) return { place: position.place, inclusive: position.inclusive };
  const edge = position.backward ? { type: context.types.at(-1)!, id: "\uffff" } : { type: context.types[0]!, id: "" };
  return { place: edge, inclusive: false };
}

/**
 * Reads candidates from a position until `wanted` match or none are left. `stopped` is the
 * position after the last candidate checked when the limits cut the page short.
 */
async function collect(context: Context, start: Position, wanted: number): Promise<{ matches: StoredResource[]; stopped?: Position }> {
  const matches: StoredResource[] = [];
  let position = start;
  for (;;) {
    const limit = Math.max(1, Math.min(PAGE_BATCH, wanted - matches.length + 10, context.limits.resourcesPerPage - context.read));
    const rows = await readCandidates(context, position, limit);
    if (rows.length === 0) return { matches };
    if (outOfBudget(context, context.limits.resourcesPerPage)) return { matches, stopped: position };

    context.read += rows.length;
    for (const row of rows) {
      position = { place: { type: row.type, id: row.id }, inclusive: false, backward: position.backward };
      const hit = check(context, row);
      if (hit !== undefined) matches.push(hit.stored);
      if (matches.length >= wanted) return { matches };
    }
  }
}

/** Reads up to `limit` live resources of the searched types that pass the indexed conditions, from a position in its direction. */
async function readCandidates(context: Context, position: Position, limit: number): Promise<ResourceRow[]> {
  const parameters = new Parameters(context.filter.parameters);
  let keyset = "";
  if (position.place !== undefined) {
    const operator = (position.backward ? "<" : ">") + (position.inclusive ? "=" : "");
    keyset = ` AND (r.type, r.id) ${operator} (${parameters.add(position.place.type)}, ${parameters.add(position.place.id)})`;
  }
  const direction = position.backward ? "DESC" : "ASC";
  return context.client.query<ResourceRow>(
    `SELECT r.type, r.id, r.vid, ${isoInstant("r.last_updated")} AS last_updated, r.content
       FROM ${context.tables.resource} r
      WHERE ${context.filter.sql}${keyset}
      ORDER BY r.type ${direction}, r.id ${direction}
      LIMIT ${parameters.add(limit, "integer")}`,
    parameters.values,
  );
}

/** Checks a candidate against every clause; returns it with its search values when it matches. */
function check(context: Context, row: ResourceRow): Hit | undefined {
  const resource = JSON.parse(row.content) as Resource;
  const values = extractSearchValues(resource, context.needed);
  if (!matchesQuery(resource, context.clauses, values)) return undefined;
  const stored: StoredResource = {
    resourceType: row.type,
    id: row.id,
    versionId: row.vid,
    lastUpdated: row.last_updated,
    method: "PUT",
    deleted: false,
    resource,
    json: row.content,
  };
  return { id: row.id, stored, values };
}

function outOfBudget(context: Context, resources: number): boolean {
  return context.read >= resources || Date.now() - context.started >= context.limits.timeMs;
}

/**
 * Runs a search with `_sort`: every match is read and sorted by the keys, then by type and id,
 * and pages are slices of that order, so paging never repeats or skips a resource while the
 * data does not change. The cursor is the offset in the order.
 */
async function sortedSearch(context: Context, sort: SearchQuery["sort"], count: number, cursor: SearchCursor | undefined): Promise<SearchPage> {
  if (cursor !== undefined && !("offset" in cursor)) throw invalidSearchCursor();
  const offset = cursor?.offset ?? 0;

  const hits: Hit[] = [];
  let position: Position = { inclusive: false, backward: false };
  for (;;) {
    const rows = await readCandidates(context, position, Math.max(1, Math.min(SORT_BATCH, context.limits.sortedResources - context.read)));
    if (rows.length === 0) break;
    if (outOfBudget(context, context.limits.sortedResources)) throw tooCostly(context, "sort");
    context.read += rows.length;
    for (const row of rows) {
      const hit = check(context, row);
      if (hit !== undefined) hits.push(hit);
    }
    const last = rows.at(-1)!;
    position = { place: { type: last.type, id: last.id }, inclusive: false, backward: false };
  }

  hits.sort((a, b) => compareForSort(sort, a, b) || compareText(a.stored.resourceType, b.stored.resourceType) || compareText(a.id, b.id));
  const page: SearchPage = { entries: hits.slice(offset, offset + count).map((hit) => hit.stored) };
  if (offset + count < hits.length) page.next = formatSearchCursor({ offset: offset + count });
  if (offset > 0) page.previous = formatSearchCursor({ offset: Math.max(0, offset - count) });
  return page;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Builds the too-costly error, naming what was read and the criteria that no index narrows. */
function tooCostly(context: Context, reason: "page" | "sort"): FhirError {
  const seconds = ((Date.now() - context.started) / 1000).toFixed(1);
  const what = reason === "sort" ? "Sorting needs every match, and the search" : "The search";
  const outcome = reason === "sort" ? "reaching the end" : "finding a match";
  let criteria = "";
  if (context.unserved.length > 0) criteria = ` No index narrows ${context.unserved.map(describeClause).join(", ")}.`;
  else if (context.clauses.length === 0) criteria = " It has no criteria.";
  return new FhirError(
    "too-costly",
    `${what} read ${context.read} ${context.types.join(", ")} resources in ${seconds} s without ${outcome}.${criteria} Add criteria that an index serves: _id, a token, a reference, a string prefix, a uri, a date, a number or a quantity.`,
  );
}

function describeClause(clause: QueryClause): string {
  if (clause.kind === "parameter") return clause.modifier === undefined ? clause.parameter : `${clause.parameter}:${clause.modifier}`;
  return clause.kind === "chain" ? `${clause.parameter}:${clause.target}` : `_has:${clause.resourceType}:${clause.reference}`;
}
