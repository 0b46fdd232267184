import { Entity, Service } from "electrodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * Number of partitions each history feed is spread over, so that a busy resource type does
 * not concentrate its version writes on one GSI partition (about 1,000 writes per second each).
 * Readers query every shard and merge. Changing it requires rewriting the GSI keys of every
 * version item.
 */
export const HISTORY_SHARDS = 16;

/** Width of zero-padded version numbers in sort keys, so that they sort numerically. */
const VID_WIDTH = 10;

const SERVICE = "flint";

/**
 * Current state of one resource: the compare-and-swap register that every write conditions on.
 *
 * Key: `R#{type}#{id}` / `CUR`. A deleted resource keeps this item as a tombstone so that the
 * next write gets the next version number.
 */
const resource = new Entity({
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
  },
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["resourceType", "id"], template: "R#${resourceType}#${id}", casing: "none" },
      sk: { field: "sk", composite: [], template: "CUR", casing: "none" },
    },
  },
});

/**
 * One immutable version, `R#{type}#{id}` / `V#{vid}`, plus its place in the type and system
 * history feeds (GSIs `gsi1` and `gsi2`, sharded by id). Only `supersededAt` is written after
 * creation, in the same transaction that commits the next version.
 */
const version = new Entity({
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
});

/**
 * One slice of a large resource body, `R#{type}#{id}` / `B#{token}#{part}`. Slices are written
 * before the commit that references them, under a fresh token, so an abandoned write leaves
 * only unreferenced slices behind and never changes a committed body.
 */
const bodyPart = new Entity({
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
});

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
  "__edb_e__",
  "__edb_v__",
];

export function createService(client: DynamoDBDocumentClient, table: string) {
  return new Service({ resource, version, bodyPart }, { client, table });
}

export type FlintService = ReturnType<typeof createService>;
