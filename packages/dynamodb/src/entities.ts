import { Entity } from "electrodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * Number of partitions each history feed is spread over, so that a busy resource type does
 * not concentrate its version writes on one GSI partition (about 1,000 writes per second each).
 * Readers query every shard and merge. Changing it requires rewriting the GSI keys of every
 * version item.
 */
export const HISTORY_SHARDS = 16;

/**
 * ElectroDB execution option that leaves the SDK's errors unwrapped. Without it ElectroDB
 * captures a stack trace before every call, which was 4 % of the server's time for a read.
 * `retry.ts` walks `cause` chains, so it classifies wrapped and unwrapped errors alike.
 */
export const SDK_ERRORS = { originalErr: true } as const;

/** Width of zero-padded version numbers in sort keys, so that they sort numerically. */
const VID_WIDTH = 10;

const SERVICE = "flint";

/**
 * Current state of one resource: the compare-and-swap register that every write conditions on.
 *
 * Key: `R#{type}#{id}` / `CUR`. A deleted resource keeps this item as a tombstone so that the
 * next write gets the next version number.
 */
const resourceSchema = {
  model: { entity: "resource", version: "1", service: SERVICE },
  attributes: {
    resourceType: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    vid: { type: "number", required: true },
    lastUpdated: { type: "string", required: true },
    deleted: { type: "boolean", required: true },
    /** gzip of the resource JSON, when it fits in the item. */
    body: { type: "any" },
    /** Set instead of `body` for large resources: the body is split into `bodyParts` items. */
    bodyToken: { type: "string" },
    bodyParts: { type: "number" },
    /** Keys of the index items this version owns, so the next write removes exactly those. */
    ix: { type: "list", items: { type: "string" } },
    /** Id of the multi-step transaction that has locked this resource, while it runs. */
    lock: { type: "string" },
    /** Version the locking transaction writes. */
    lockVid: { type: "number" },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["resourceType", "id"], template: "R#${resourceType}#${id}", casing: "none" },
      sk: { field: "sk", composite: [], template: "CUR", casing: "none" },
    },
  },
} as const;

/**
 * One immutable version, `R#{type}#{id}` / `V#{vid}`, plus its place in the type and system
 * history feeds (GSIs `gsi1` and `gsi2`, sharded by id). Only `supersededAt` is written after
 * creation, in the same transaction that commits the next version.
 */
const versionSchema = {
  model: { entity: "version", version: "1", service: SERVICE },
  attributes: {
    resourceType: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    vid: { type: "number", required: true, readOnly: true, padding: { length: VID_WIDTH, char: "0" } },
    lastUpdated: { type: "string", required: true, readOnly: true },
    method: { type: ["POST", "PUT", "PATCH", "DELETE"] as const, required: true, readOnly: true },
    deleted: { type: "boolean", required: true, readOnly: true },
    shard: { type: "number", required: true, readOnly: true },
    /** `lastUpdated` of the next version: the end of the period in which this one was current. */
    supersededAt: { type: "string" },
    body: { type: "any" },
    bodyToken: { type: "string" },
    bodyParts: { type: "number" },
    /** Multi-step transaction that wrote this version; it is visible once that transaction commits. */
    tx: { type: "string" },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["resourceType", "id"], template: "R#${resourceType}#${id}", casing: "none" },
      sk: { field: "sk", composite: ["vid"], template: "V#${vid}", casing: "none" },
    },
    typeHistory: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["resourceType", "shard"], template: "HT#${resourceType}#${shard}", casing: "none" },
      sk: { field: "gsi1sk", composite: ["lastUpdated", "id", "vid"], template: "${lastUpdated}#${id}#${vid}", casing: "none" },
    },
    systemHistory: {
      index: "gsi2",
      pk: { field: "gsi2pk", composite: ["shard"], template: "HS#${shard}", casing: "none" },
      sk: {
        field: "gsi2sk",
        composite: ["lastUpdated", "resourceType", "id", "vid"],
        template: "${lastUpdated}#${resourceType}#${id}#${vid}",
        casing: "none",
      },
    },
  },
} as const;

/**
 * One slice of a large resource body, `R#{type}#{id}` / `B#{token}#{part}`. Slices are written
 * before the commit that references them, under a fresh token, so an abandoned write leaves
 * only unreferenced slices behind and never changes a committed body.
 */
const bodyPartSchema = {
  model: { entity: "bodyPart", version: "1", service: SERVICE },
  attributes: {
    resourceType: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
    token: { type: "string", required: true, readOnly: true },
    part: { type: "number", required: true, readOnly: true, padding: { length: 4, char: "0" } },
    data: { type: "any", required: true },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["resourceType", "id"], template: "R#${resourceType}#${id}", casing: "none" },
      sk: { field: "sk", composite: ["token", "part"], template: "B#${token}#${part}", casing: "none" },
    },
  },
} as const;

/**
 * Search index item `I#{key}` / `{id}`: the resource `id` has a value under `key`, which names
 * the resource type, the parameter and the value (see `index-keys.ts`). Index items only
 * propose candidates, because search checks every candidate against its current body.
 */
const indexEntrySchema = {
  model: { entity: "indexEntry", version: "1", service: SERVICE },
  attributes: {
    key: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["key"], template: "I#${key}", casing: "none" },
      sk: { field: "sk", composite: ["id"], template: "${id}", casing: "none" },
    },
  },
} as const;

/**
 * Range index item `I#{key}` / `{sort}#{id}`: a value whose order matters (a normalized string,
 * a date bound, a number bound), so that a key condition on the sort key selects a range.
 */
const rangeEntrySchema = {
  model: { entity: "rangeEntry", version: "1", service: SERVICE },
  attributes: {
    key: { type: "string", required: true, readOnly: true },
    sort: { type: "string", required: true, readOnly: true },
    id: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["key"], template: "I#${key}", casing: "none" },
      sk: { field: "sk", composite: ["sort", "id"], template: "${sort}#${id}", casing: "none" },
    },
  },
} as const;

/**
 * Claim of a conditional create, `C#{type}#{criteria hash}` / `C`: written in the same commit
 * as the resource it names, so two concurrent creates with identical criteria cannot both commit.
 */
const claimSchema = {
  model: { entity: "claim", version: "1", service: SERVICE },
  attributes: {
    key: { type: "string", required: true, readOnly: true },
    rid: { type: "string", required: true },
    criteria: { type: "string", required: true },
    tx: { type: "string" },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["key"], template: "C#${key}", casing: "none" },
      sk: { field: "sk", composite: [], template: "C", casing: "none" },
    },
  },
} as const;

/** State of a multi-step transaction, `X#{tx}` / `X`: the single item whose update commits it. */
const txRecordSchema = {
  model: { entity: "txRecord", version: "1", service: SERVICE },
  attributes: {
    tx: { type: "string", required: true, readOnly: true },
    status: { type: ["PENDING", "COMMITTED", "APPLIED", "ABORTED"] as const, required: true },
    createdAt: { type: "number", required: true },
    /** Epoch milliseconds after which a PENDING transaction may be aborted by anyone. */
    expiresAt: { type: "number", required: true },
    operations: { type: "number", required: true },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["tx"], template: "X#${tx}", casing: "none" },
      sk: { field: "sk", composite: [], template: "X", casing: "none" },
    },
  },
} as const;

/** Write-ahead log of a multi-step transaction, `X#{tx}` / `E#{chunk}`: gzip JSON of its planned operations. */
const txLogSchema = {
  model: { entity: "txLog", version: "1", service: SERVICE },
  attributes: {
    tx: { type: "string", required: true, readOnly: true },
    chunk: { type: "number", required: true, readOnly: true, padding: { length: 5, char: "0" } },
    operations: { type: "any", required: true },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["tx"], template: "X#${tx}", casing: "none" },
      sk: { field: "sk", composite: ["chunk"], template: "E#${chunk}", casing: "none" },
    },
  },
} as const;

/** Registry of unfinished multi-step transactions, `XO` / `{tx}`, which recovery reads. */
const txOpenSchema = {
  model: { entity: "txOpen", version: "1", service: SERVICE },
  attributes: {
    tx: { type: "string", required: true, readOnly: true },
    createdAt: { type: "number", required: true },
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: [], template: "XO", casing: "none" },
      sk: { field: "sk", composite: ["tx"], template: "${tx}", casing: "none" },
    },
  },
} as const;

/** Attributes copied into the history GSIs, enough to list versions without reading bodies. */
export const HISTORY_PROJECTION = [
  "resourceType",
  "id",
  "vid",
  "lastUpdated",
  "method",
  "deleted",
  "supersededAt",
  "shard",
  "tx",
  "__edb_e__",
  "__edb_v__",
];

/**
 * Creates the ElectroDB entities for one table. Entities are built anew for each table, because
 * ElectroDB binds an entity to its client and table. They are not joined into an ElectroDB
 * `Service`: Flint uses no collection or service-level transaction, and a service checks each
 * entity against ElectroDB's model schemas again, which doubled the time to build them (47 ms
 * instead of 22 ms in a fresh process).
 */
export function createService(client: DynamoDBDocumentClient, table: string) {
  const config = { client, table };
  return {
    entities: {
      resource: new Entity(resourceSchema, config),
      version: new Entity(versionSchema, config),
      bodyPart: new Entity(bodyPartSchema, config),
      indexEntry: new Entity(indexEntrySchema, config),
      rangeEntry: new Entity(rangeEntrySchema, config),
      claim: new Entity(claimSchema, config),
      txRecord: new Entity(txRecordSchema, config),
      txLog: new Entity(txLogSchema, config),
      txOpen: new Entity(txOpenSchema, config),
    },
    getTableName: () => table,
  };
}

export type FlintService = ReturnType<typeof createService>;
