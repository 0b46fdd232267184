import type { Resource } from "fhir/r4";
import { compareForSort, decodeBase64Url, encodeBase64Url, extractSearchValues, FhirError, matchesQuery, parametersOf, type QueryClause, type SearchQuery } from "@flint/core";
import type { SearchPage, StoredResource } from "@flint/repository";
import { loadBody } from "./bodies.ts";
import { HISTORY_SHARDS } from "./entities.ts";
import { typeKey } from "./index-keys.ts";
import { readHeads } from "./plan.ts";
import { readSpans, readStream, sourceFor, type Position, type Source } from "./search/sources.ts";
import type { Store } from "./store.ts";
import { TxStatusReader, visibleVersion } from "./visibility.ts";

/** Limits on the work of one search request (R4 search.html: a server may refuse a search as too costly). */
export interface SearchLimits {
  /** Resources read and checked for one page of an unsorted search. */
  resourcesPerPage: number;
  /** Resources read and checked for a sorted search, which needs every match before its first page. */
  sortedResources: number;
  /** Ids read from one clause's range partitions before the clause no longer narrows the candidates. */
  spanIds: number;
  /** Ids read from one clause's equality partitions to learn whether the clause is selective. */
  probeIds: number;
  /** Time one request may spend, in ms. */
  timeMs: number;
}

export const DEFAULT_SEARCH_LIMITS: SearchLimits = {
  resourcesPerPage: 2_000,
  sortedResources: 10_000,
  spanIds: 20_000,
  probeIds: 1_000,
  timeMs: 10_000,
};

/**
 * Runs a search (R4 search.html) at type or system level. Per resource type, a planner picks the
 * candidates: the intersection of the clauses whose index partitions hold few ids, or else the
 * sparsest paged index, or else every resource of the type from the sharded type listing. Each
 * candidate's visible version is read and checked against every clause, so index items of
 * uncommitted or superseded versions never produce a wrong match.
 *
 * Unsorted results are in (type, id) order, and cursors are positions in it, so paging forward
 * and back never repeats or skips a resource while the data does not change (search.html#count).
 * A page that reaches the request's limits before `_count` matches is returned short with a
 * `next` cursor. With no match at all, the search is rejected as too costly, and the outcome
 * names the criteria that no index serves.
 */
export async function runSearch(store: Store, query: SearchQuery, limits: SearchLimits = DEFAULT_SEARCH_LIMITS): Promise<SearchPage> {
  const types = [...query.resourceTypes].sort();
  if (types.length === 0 || query.count === 0) return { entries: [] };
  const needed = parametersOf(query.clauses, query.sort);
  const context: Context = { store, limits, clauses: query.clauses, started: Date.now(), read: 0, statuses: new TxStatusReader(store), needed };
  const cursor = query.cursor === undefined ? undefined : parseCursor(query.cursor);
  if (query.sort.length > 0) return sortedSearch(context, types, query.sort, query.count, cursor);
  return unsortedSearch(context, types, query.count, cursor);
}

interface Context {
  store: Store;
  limits: SearchLimits;
  clauses: readonly QueryClause[];
  started: number;
  /** Resources read so far in this request or page. */
  read: number;
  statuses: TxStatusReader;
  /** Parameters extracted from each candidate: those of the clauses and the sort keys. */
  needed: ReadonlySet<string>;
}

/** A position in the (type, id) order of unsorted results. */
interface Place {
  type: string;
  id: string;
}

type Cursor = { after: Place; inclusive?: boolean } | { before: Place; inclusive?: boolean } | { offset: number };

async function unsortedSearch(context: Context, types: readonly string[], count: number, cursor: Cursor | undefined): Promise<SearchPage> {
  if (cursor !== undefined && "offset" in cursor) throw invalidCursor();
  const backward = cursor !== undefined && "before" in cursor;
  let start: Place | undefined;
  if (cursor !== undefined) start = "after" in cursor ? cursor.after : cursor.before;
  const order = backward ? [...types].reverse() : types;
  const first = start === undefined ? 0 : order.indexOf(start.type);
  if (first < 0) throw invalidCursor();

  const matches: StoredResource[] = [];
  let stopped: Place | undefined;
  for (let index = first; index < order.length && matches.length <= count; index++) {
    const type = order[index]!;
    let position: Position = backward ? { before: "\uffff" } : {};
    if (start !== undefined && index === first) {
      position = backward ? { before: start.id } : { after: start.id };
      if (cursor !== undefined && "inclusive" in cursor && cursor.inclusive) position.inclusive = true;
    }
    const page = await typePage(context, type, position, count + 1 - matches.length);
    matches.push(...page.matches);
    if (page.stoppedAt !== undefined) {
      stopped = { type, id: page.stoppedAt };
      break;
    }
  }

  if (stopped !== undefined && matches.length === 0) throw tooCostly(context, types);
  const more = matches.length > count;
  const page = matches.slice(0, count);
  if (backward) page.reverse();
  const firstPlace = page[0] === undefined ? undefined : { type: page[0].resourceType, id: page[0].id };
  const lastPlace = page.at(-1) === undefined ? undefined : { type: page.at(-1)!.resourceType, id: page.at(-1)!.id };

  const result: SearchPage = { entries: page };
  if (!backward) {
    if (more) result.next = formatCursor({ after: lastPlace! });
    else if (stopped !== undefined) result.next = formatCursor({ after: stopped, inclusive: false });
    if (start !== undefined) result.previous = formatCursor(firstPlace === undefined ? { before: start, inclusive: !("inclusive" in cursor! && cursor.inclusive) } : { before: firstPlace });
  } else {
    if (more) result.previous = formatCursor({ before: firstPlace! });
    else if (stopped !== undefined) result.previous = formatCursor({ before: stopped });
    result.next = formatCursor(lastPlace === undefined ? { after: start!, inclusive: !(cursor as { inclusive?: boolean }).inclusive } : { after: lastPlace });
  }
  return result;
}

/** Matches of one type from a position, in the position's direction; `stoppedAt` is set when the limits cut the page short. */
async function typePage(context: Context, type: string, position: Position, wanted: number): Promise<{ matches: StoredResource[]; stoppedAt?: string }> {
  const candidates = await planCandidates(context, type);
  const matches: StoredResource[] = [];
  let current = position;
  for (;;) {
    const batch = await candidates(current, Math.max(1, Math.min(100, wanted - matches.length + 10, context.limits.resourcesPerPage - context.read)));
    if (batch.length === 0) return { matches };
    if (outOfBudget(context, context.limits.resourcesPerPage)) {
      // Before any read, the stop lies before the first id of the type in this direction.
      const backward = position.before !== undefined;
      return { matches, stoppedAt: current.after ?? current.before ?? (backward ? "\uffff" : "") };
    }
    const found = await hydrate(context, type, batch);
    for (const id of batch) {
      current = current.before !== undefined ? { before: id } : { after: id };
      const match = found.get(id);
      if (match !== undefined) matches.push(match.stored);
      if (matches.length >= wanted) return { matches };
    }
  }
}

function outOfBudget(context: Context, resources: number): boolean {
  return context.read >= resources || Date.now() - context.started >= context.limits.timeMs;
}

/** Reads candidate ids from a position, in its direction, up to a limit. */
type Candidates = (position: Position, limit: number) => Promise<string[]>;

/**
 * Plans the candidates of one type. Every clause that an index serves is probed: `_id` values
 * and range spans are read up to their limits, equality partitions up to `probeIds` ids each.
 * Clauses read whole are intersected, smallest first, and their intersection is the candidate
 * list. When none could be read whole, the planner pages the equality index whose first ids are
 * the most spread out, because it contains the fewest resources. Without one, it pages the type listing.
 */
async function planCandidates(context: Context, type: string): Promise<Candidates> {
  const now = Date.now();
  const sources = context.clauses.flatMap((clause) => sourceFor(type, clause, now) ?? []);
  const probes = await Promise.all(sources.map((source) => probe(context, source)));

  const exact = probes.filter((result) => result.complete).sort((a, b) => a.ids.length - b.ids.length);
  if (exact.length > 0) {
    let ids = new Set(exact[0]!.ids);
    for (const other of exact.slice(1)) {
      const next = new Set(other.ids);
      ids = new Set([...ids].filter((id) => next.has(id)));
    }
    return fromList([...ids].sort());
  }

  const streams = probes.flatMap((result, index) => {
    const source = sources[index]!;
    return source.kind === "stream" ? [{ keys: source.keys, spread: spreadOf(result.ids.at(-1)) }] : [];
  });
  streams.sort((a, b) => b.spread - a.spread);
  const keys = streams[0]?.keys ?? Array.from({ length: HISTORY_SHARDS }, (_, shard) => typeKey(type, shard));
  return async (position, limit) => (await readStream(context.store, keys, position, limit)).ids;
}

async function probe(context: Context, source: Source): Promise<{ ids: string[]; complete: boolean }> {
  switch (source.kind) {
    case "ids":
      return { ids: [...new Set(source.ids)], complete: true };
    case "stream":
      return readStream(context.store, source.keys, {}, context.limits.probeIds);
    case "spans":
      return readSpans(context.store, source.spans, context.limits.spanIds);
  }
}

/**
 * Measures how far into the id space the last probed id lies, from 0 to 1. Among partitions of
 * one type's ids, the one whose first `probeIds` ids reach furthest contains the fewest resources.
 */
function spreadOf(id: string | undefined): number {
  if (id === undefined) return 1;
  let spread = 0;
  let scale = 1;
  for (let index = 0; index < Math.min(id.length, 6); index++) {
    scale /= 128;
    spread += id.charCodeAt(index) * scale;
  }
  return spread;
}

function fromList(sorted: readonly string[]): Candidates {
  return async (position, limit) => {
    if (position.before !== undefined) {
      const before = position.before;
      return sorted.filter((id) => (position.inclusive ? id <= before : id < before)).reverse().slice(0, limit);
    }
    const after = position.after ?? "";
    return sorted.filter((id) => (position.inclusive ? id >= after : id > after)).slice(0, limit);
  };
}

/**
 * Runs a search with `_sort` (R4 search.html#sort). Every match is read and sorted by the keys,
 * then by type and id, and pages are slices of that order, so paging never repeats or skips a
 * resource while the data does not change. The cursor is the offset in the order.
 */
async function sortedSearch(context: Context, types: readonly string[], sort: SearchQuery["sort"], count: number, cursor: Cursor | undefined): Promise<SearchPage> {
  if (cursor !== undefined && !("offset" in cursor)) throw invalidCursor();
  const offset = cursor?.offset ?? 0;
  const matches: Array<Hit & { id: string }> = [];
  for (const type of types) {
    const candidates = await planCandidates(context, type);
    let position: Position = {};
    for (;;) {
      const batch = await candidates(position, Math.max(1, Math.min(100, context.limits.sortedResources - context.read)));
      if (batch.length === 0) break;
      if (outOfBudget(context, context.limits.sortedResources)) throw tooCostly(context, types, "sort");
      const found = await hydrate(context, type, batch);
      for (const id of batch) {
        const match = found.get(id);
        if (match !== undefined) matches.push({ id, ...match });
      }
      position = { after: batch.at(-1)! };
    }
  }

  matches.sort((a, b) => compareForSort(sort, a, b) || compareText(a.stored.resourceType, b.stored.resourceType) || compareText(a.id, b.id));
  const page: SearchPage = { entries: matches.slice(offset, offset + count).map((match) => match.stored) };
  if (offset + count < matches.length) page.next = formatCursor({ offset: offset + count });
  if (offset > 0) page.previous = formatCursor({ offset: Math.max(0, offset - count) });
  return page;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** A candidate that matched, with the search values extracted to check it, which sorting reuses. */
interface Hit {
  stored: StoredResource;
  values: ReturnType<typeof extractSearchValues>;
}

/** Reads the visible versions of candidates and keeps those that match every clause. */
async function hydrate(context: Context, resourceType: string, ids: string[]): Promise<Map<string, Hit>> {
  const { store, statuses, clauses } = context;
  context.read += ids.length;
  const heads = await readHeads(store, ids.map((id) => ({ resourceType, id })));
  const found = new Map<string, Hit>();
  await Promise.all(
    ids.map(async (id) => {
      const visible = await visibleVersion(store, heads.get(`${resourceType}/${id}`), statuses);
      if (visible === undefined || visible.deleted) return;
      const json = await loadBody(store, resourceType, id, visible);
      const resource = JSON.parse(json) as Resource;
      const values = extractSearchValues(resource, context.needed);
      if (!matchesQuery(resource, clauses, values)) return;
      const stored: StoredResource = { resourceType, id, versionId: visible.vid, lastUpdated: visible.lastUpdated, method: "PUT", deleted: false, resource, json };
      found.set(id, { stored, values });
    }),
  );
  return found;
}

/** Builds the too-costly error, naming what was read and the criteria that no index narrows. */
function tooCostly(context: Context, types: readonly string[], reason: "page" | "sort" = "page"): FhirError {
  const now = Date.now();
  const unserved = context.clauses.filter((clause) => types.every((type) => sourceFor(type, clause, now) === undefined)).map(describeClause);
  const seconds = ((now - context.started) / 1000).toFixed(1);
  const what = reason === "sort" ? "Sorting needs every match, and the search" : "The search";
  let criteria = "";
  if (unserved.length > 0) criteria = ` No index narrows ${unserved.join(", ")}.`;
  else if (context.clauses.length === 0) criteria = " It has no criteria.";
  return new FhirError(
    "too-costly",
    `${what} read ${context.read} ${types.join(", ")} resources in ${seconds} s without ${reason === "sort" ? "reaching the end" : "finding a match"}.${criteria} Add criteria that an index serves: _id, a token, a reference, a string prefix, a date, a number or a quantity with a unit.`,
  );
}

function describeClause(clause: QueryClause): string {
  if (clause.kind === "parameter") return clause.modifier === undefined ? clause.parameter : `${clause.parameter}:${clause.modifier}`;
  return clause.kind === "chain" ? `${clause.parameter}:${clause.target}` : `_has:${clause.resourceType}:${clause.reference}`;
}

function formatCursor(cursor: Cursor): string {
  const text =
    "offset" in cursor
      ? { v: 2, o: cursor.offset }
      : "after" in cursor
        ? { v: 2, d: "a", t: cursor.after.type, k: cursor.after.id, ...(cursor.inclusive ? { i: 1 } : {}) }
        : { v: 2, d: "b", t: cursor.before.type, k: cursor.before.id, ...(cursor.inclusive ? { i: 1 } : {}) };
  return encodeBase64Url(JSON.stringify(text));
}

function parseCursor(token: string): Cursor {
  try {
    const value = JSON.parse(decodeBase64Url(token)) as { v?: unknown; o?: unknown; d?: unknown; t?: unknown; k?: unknown; i?: unknown };
    if (value.v === 2 && typeof value.o === "number" && Number.isSafeInteger(value.o) && value.o >= 0) return { offset: value.o };
    if (value.v === 2 && typeof value.t === "string" && typeof value.k === "string") {
      const place = { type: value.t, id: value.k };
      const inclusive = value.i === 1;
      if (value.d === "a") return inclusive ? { after: place, inclusive } : { after: place };
      if (value.d === "b") return inclusive ? { before: place, inclusive } : { before: place };
    }
  } catch {
    // Falls through to the error below.
  }
  throw invalidCursor();
}

function invalidCursor(): FhirError {
  return new FhirError("invalid", "The search paging cursor is invalid; start again from the first page.");
}
