import { QueryCommand, type QueryCommandOutput } from "@aws-sdk/lib-dynamodb";
import { approximateDateRange, numberBounds, type NumberBounds, type QueryClause, type QueryValue } from "@flint/core";
import { tokenQueryKeys } from "../index-keys.ts";
import { withRetries } from "../retry.ts";
import type { Store } from "../store.ts";
import { boundSort, encodeOrdered } from "./encode.ts";
import { INDEX_SHARDS, inShard, keySharded, NARROW_DATE_MS, quantityKey, rangeKey, referenceKey, stringKey, uriKey } from "./items.ts";

/** A run of one range partition: sort values from `from` to `to` (both included), or starting with `prefix`. */
export interface Span {
  key: string;
  from?: string;
  to?: string;
  prefix?: string;
}

/**
 * Origin of the candidates of one clause:
 * - `ids`: the `_id` values themselves;
 * - `stream`: equality partitions, whose items are in id order, so they can be paged;
 * - `spans`: runs of range partitions, in value order, which must be read whole.
 * The union over the partitions contains every resource the clause can match.
 */
export type Source =
  | { kind: "ids"; clause: QueryClause; ids: string[] }
  | { kind: "stream"; clause: QueryClause; keys: string[] }
  | { kind: "spans"; clause: QueryClause; spans: Span[] };

/**
 * Finds the index partitions that serve a clause, or undefined when none does and the clause is
 * only checked on candidates that come from elsewhere. Indexes serve `_id`, tokens without a
 * modifier, references by `Type/id` or URL, strings by prefix (default and `:exact`) and exact
 * uris. They also serve dates, numbers, and quantities with a unit, under every prefix except `ne`.
 */
export function sourceFor(resourceType: string, clause: QueryClause, now: number): Source | undefined {
  if (clause.kind !== "parameter" || clause.values.length === 0) return undefined;
  const modifier = clause.modifier;
  const servedModifier = modifier === undefined || (modifier === "exact" && clause.type === "string") || (modifier.startsWith("type:") && clause.type === "reference");
  if (!servedModifier) return undefined;
  if (clause.parameter === "_id") {
    const ids = clause.values.flatMap((value) => (value.type === "token" && value.code !== undefined && value.system === undefined ? [value.code] : []));
    return ids.length === clause.values.length ? { kind: "ids", clause, ids } : undefined;
  }

  const keys: string[] = [];
  const spans: Span[] = [];
  for (const value of clause.values) {
    const served = serve(resourceType, clause.parameter, value, now);
    if (served === undefined) return undefined;
    if (typeof served[0] === "string") keys.push(...(served as string[]));
    else spans.push(...(served as Span[]));
  }
  if (keys.length > 0 && spans.length > 0) return undefined;
  return keys.length > 0 ? { kind: "stream", clause, keys } : { kind: "spans", clause, spans };
}

/** Lists the equality keys or spans that contain every resource a query value can match. */
function serve(type: string, parameter: string, value: QueryValue, now: number): string[] | Span[] | undefined {
  switch (value.type) {
    case "token":
      if (value.code === undefined && value.system === undefined) return undefined;
      return tokenQueryKeys(type, parameter, value);
    case "reference":
      if (value.resourceType !== undefined && value.id !== undefined) return everyShard(parameter, referenceKey(type, parameter, { local: `${value.resourceType}/${value.id}` }));
      if (value.url !== undefined) return everyShard(parameter, referenceKey(type, parameter, { url: value.url }));
      return undefined;
    case "uri":
      return everyShard(parameter, uriKey(type, parameter, value.value));
    case "string": {
      if (value.normalized === "") return undefined;
      const prefix = boundSort(value.normalized);
      return Array.from({ length: INDEX_SHARDS }, (_, shard) => ({ key: `${stringKey(type, parameter, value.normalized)}${shard}`, prefix }));
    }
    case "date":
      return dateSpans(type, parameter, value, now);
    case "number":
      return orderedSpans(rangeKey("N", type, parameter), numberBounds(value.prefix, value));
    case "quantity": {
      if (value.canonical !== undefined) {
        const bounds = numberBounds(value.prefix, value.canonical);
        return orderedSpans(quantityKey(type, parameter, { canonical: value.canonical.code }), bounds);
      }
      if (value.system === undefined || value.code === undefined) return undefined;
      const bounds = numberBounds(value.prefix, value);
      return orderedSpans(quantityKey(type, parameter, { system: value.system, code: value.code }), bounds);
    }
    default:
      return undefined;
  }
}

/** Lists every shard of an equality key, or the key alone for unsharded parameters. */
function everyShard(parameter: string, key: string): string[] {
  if (!keySharded(parameter)) return [key];
  return Array.from({ length: INDEX_SHARDS }, (_, shard) => inShard(key, shard));
}

/** Inclusive bounds on a stored value, or null when no index serves the prefix. */
type Bounds = NumberBounds | null;

/**
 * Spans of the date families for a prefix, following compareRanges in core. Start items (`D`)
 * hold every value; end items (`E`) only values wider than a day, so a bound on the end reads
 * the start items from a day earlier as well.
 */
function dateSpans(type: string, parameter: string, value: { prefix: string; start: number; end: number }, now: number): Span[] | undefined {
  const { start: low, end: high } = value;
  const starts = rangeKey("D", type, parameter);
  const ends = rangeKey("E", type, parameter);
  const endsAfter = (bound: number) => [...orderedSpans(starts, { low: bound - NARROW_DATE_MS })!, ...orderedSpans(ends, { low: bound })!];
  switch (value.prefix) {
    case "eq":
      return orderedSpans(starts, { low, high });
    case "gt":
      return endsAfter(high);
    case "ge":
      return endsAfter(low);
    case "lt":
    case "eb":
      return orderedSpans(starts, { high: low });
    case "le":
      return orderedSpans(starts, { high });
    case "sa":
      return orderedSpans(starts, { low: high });
    case "ap": {
      const approximate = approximateDateRange({ low, high }, now);
      return [...orderedSpans(starts, { low: approximate.low - NARROW_DATE_MS, high: approximate.high })!, ...orderedSpans(ends, { low: approximate.low })!];
    }
    default:
      return undefined;
  }
}

/** Spans of a bounded run in every shard of a ranged family, or undefined for `null` bounds. */
function orderedSpans(prefix: string, bounds: Bounds): Span[] | undefined {
  if (bounds === null) return undefined;
  return Array.from({ length: INDEX_SHARDS }, (_, shard) => {
    const span: Span = { key: `${prefix}${shard}` };
    if (bounds.low !== undefined) span.from = encodeOrdered(bounds.low);
    if (bounds.high !== undefined) span.to = encodeOrdered(bounds.high);
    return span;
  });
}

/** A position in a partition of equality items: after or before an id, `inclusive` of it or not. */
export interface Position {
  after?: string;
  before?: string;
  inclusive?: boolean;
}

/** Ids read from partitions, and whether the partitions hold no more in that direction. */
export interface IdsRead {
  ids: string[];
  complete: boolean;
}

/**
 * Reads up to `limit` ids from the union of equality partitions, in id order (descending when
 * the position is `before`), strongly consistent. Each partition is read up to `limit`, so the
 * first `limit` ids of the union are exact.
 */
export async function readStream(store: Store, keys: readonly string[], position: Position, limit: number): Promise<IdsRead> {
  const descending = position.before !== undefined;
  const reads = await Promise.all(keys.map((key) => queryPartition(store, key, position, limit, descending)));
  const ids = [...new Set(reads.flatMap((read) => read.ids))].sort();
  if (descending) ids.reverse();
  return { ids: ids.slice(0, limit), complete: reads.every((read) => read.complete) && ids.length <= limit };
}

/** Reads the ids in a set of spans, up to `cap`; `complete` is false when there are more. */
export async function readSpans(store: Store, spans: readonly Span[], cap: number): Promise<IdsRead> {
  const reads = await Promise.all(spans.map((span) => queryPartition(store, span.key, span, cap + 1, false)));
  const ids = [...new Set(reads.flatMap((read) => read.ids))].sort();
  return { ids, complete: reads.every((read) => read.complete) && ids.length <= cap };
}

async function queryPartition(store: Store, key: string, range: Position & Omit<Span, "key">, limit: number, descending: boolean): Promise<IdsRead> {
  const names: Record<string, string> = { "#pk": "pk" };
  const values: Record<string, unknown> = { ":pk": `I#${key}` };
  let condition = "#pk = :pk";
  const sortCondition = (text: string, bound: Record<string, string>) => {
    condition += ` AND ${text}`;
    names["#sk"] = "sk";
    Object.assign(values, bound);
  };
  if (range.after !== undefined && range.after !== "") sortCondition(range.inclusive ? "#sk >= :k" : "#sk > :k", { ":k": range.after });
  else if (range.before !== undefined) sortCondition(range.inclusive ? "#sk <= :k" : "#sk < :k", { ":k": range.before });
  else if (range.prefix !== undefined) sortCondition("begins_with(#sk, :k)", { ":k": range.prefix });
  // `$` sorts just after `#`, so `{to}$` lies after every `{to}#{id}`.
  else if (range.from !== undefined && range.to !== undefined) sortCondition("#sk BETWEEN :from AND :to", { ":from": range.from, ":to": `${range.to}$` });
  else if (range.from !== undefined) sortCondition("#sk >= :from", { ":from": range.from });
  else if (range.to !== undefined) sortCondition("#sk <= :to", { ":to": `${range.to}$` });

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
          ScanIndexForward: !descending,
          Limit: Math.min(limit - ids.length, 1_000),
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for (const item of output.Items ?? []) ids.push(item.id as string);
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined && ids.length < limit);
  return { ids, complete: startKey === undefined && ids.length < limit };
}
