/**
 * Names that the stacks share with Flint's code: the table's key schema and the actions and
 * operations the function uses, and the EMF metric names. This file uses no SST globals, so
 * `test/stacks/schema.test.ts` can compare it with the code.
 */

/** Key attributes of the table and its indexes, as `packages/dynamodb/src/table.ts` declares them. */
export const TABLE_FIELDS = { pk: "string", sk: "string", gsi1pk: "string", gsi1sk: "string", gsi2pk: "string", gsi2sk: "string" } as const;

/** Global secondary indexes of the table: `gsi1` for type history and `gsi2` for system history. */
export const TABLE_INDEXES = ["gsi1", "gsi2"] as const;

/** Attributes that the two history GSIs project; `HISTORY_PROJECTION` in `packages/dynamodb/src/entities.ts` lists the same. */
export const HISTORY_ATTRIBUTES = ["resourceType", "id", "vid", "lastUpdated", "method", "deleted", "supersededAt", "shard", "tx", "__edb_e__", "__edb_v__"];

/**
 * DynamoDB actions the API function calls. `TransactWriteItems` has no IAM action of its own:
 * DynamoDB checks the put, update, delete and condition-check actions inside it. Scan is left
 * out, because only `npm run reindex` and `checkTable` scan, and neither runs on Lambda.
 */
export const TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
];

/** DynamoDB operations the function sends, as the `Operation` dimension of the AWS/DynamoDB metrics names them. */
export const TABLE_OPERATIONS = ["GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"];

/** CloudWatch namespace of Flint's EMF metrics; the function, the alarms and the dashboard share it. */
export const METRICS_NAMESPACE = "Flint";

/** EMF metrics that the alarms and the dashboard read, as `packages/api/src/observability/emf.ts` writes them. */
export const REQUEST_METRICS = {
  requests: "Requests",
  serverErrors: "ServerErrors",
  clientErrors: "ClientErrors",
  latency: "Latency",
  consumedRead: "ConsumedReadCapacity",
  consumedWrite: "ConsumedWriteCapacity",
} as const;
