import { HISTORY_ATTRIBUTES, TABLE_FIELDS } from "./schema";
import type { StageSettings } from "./stage";

/**
 * Creates the single Flint table with the key schema of `packages/dynamodb/src/table.ts`.
 * - Billing is on demand: `sst.aws.Dynamo` always sets `PAY_PER_REQUEST`.
 * - Point-in-time recovery is on: `sst.aws.Dynamo` enables it on every table.
 * - Deletion protection is on for production. Removing the app also retains production
 *   resources (`removal: "retain"` in `sst.config.ts`).
 * - No TTL, because no item expires. `expiresAt` on transaction records is a lease in
 *   milliseconds that recovery reads, and TTL would delete those records.
 * - No stream, because nothing consumes table changes.
 */
export function createTable(settings: StageSettings) {
  return new sst.aws.Dynamo("Table", {
    fields: TABLE_FIELDS,
    primaryIndex: { hashKey: "pk", rangeKey: "sk" },
    globalIndexes: {
      gsi1: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: HISTORY_ATTRIBUTES },
      gsi2: { hashKey: "gsi2pk", rangeKey: "gsi2sk", projection: HISTORY_ATTRIBUTES },
    },
    deletionProtection: settings.production,
  });
}
