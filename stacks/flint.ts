/**
 * Flint's AWS resources: the single table with the two history GSIs that the DynamoDB store
 * declares in `packages/dynamodb/src/table.ts`, and the API function behind a Function URL.
 */
export function createFlint() {
  const historyAttributes = ["resourceType", "id", "vid", "lastUpdated", "method", "deleted", "supersededAt", "shard", "tx", "__edb_e__", "__edb_v__"];

  const table = new sst.aws.Dynamo("Table", {
    fields: { pk: "string", sk: "string", gsi1pk: "string", gsi1sk: "string", gsi2pk: "string", gsi2sk: "string" },
    primaryIndex: { hashKey: "pk", rangeKey: "sk" },
    globalIndexes: {
      gsi1: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: historyAttributes },
      gsi2: { hashKey: "gsi2pk", rangeKey: "gsi2sk", projection: historyAttributes },
    },
  });

  const api = new sst.aws.Function("Api", {
    handler: "functions/api.handler",
    runtime: "nodejs20.x",
    memory: "1024 MB",
    timeout: "29 seconds",
    url: true,
    link: [table],
    environment: { FLINT_TABLE: table.name },
  });

  return { url: api.url, table: table.name };
}
