import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { FlintService } from "./entities.ts";

/** Dependencies shared by the parts of the DynamoDB store. */
export interface Store {
  service: FlintService;
  client: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
  /** How long a multi-step transaction may stay PENDING before anyone may abort it, in ms. */
  leaseMs: number;
}

/** Current-state item of a resource, as stored. */
export interface HeadItem {
  resourceType: string;
  id: string;
  vid: number;
  lastUpdated: string;
  deleted: boolean;
  body?: unknown;
  bodyToken?: string | undefined;
  bodyParts?: number | undefined;
  ix?: string[] | undefined;
  lock?: string | undefined;
  lockVid?: number | undefined;
}

/** Storage of a version's body: inline, or in slices under a token. */
export type BodyFields = { body: Uint8Array } | { bodyToken: string; bodyParts: number };

export function resourceKey(resourceType: string, id: string): string {
  return `${resourceType}/${id}`;
}
