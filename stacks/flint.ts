/**
 * Stores a stage can deploy, chosen with `FLINT_DEPLOY_STORE` at deploy time:
 * - `dynamodb` (default): one table, no VPC, nothing to run when idle;
 * - `rds`: PostgreSQL on RDS (`t4g.micro` unless changed) behind RDS Proxy, in a VPC;
 * - `aurora`: Aurora Serverless v2 PostgreSQL behind RDS Proxy, in a VPC, pausing when idle
 *   on stages other than production.
 */
export type DeployStore = "dynamodb" | "rds" | "aurora";

export function deployStore(value: string | undefined): DeployStore {
  if (value === undefined || value === "" || value === "dynamodb") return "dynamodb";
  if (value === "rds" || value === "aurora") return value;
  throw new Error(`FLINT_DEPLOY_STORE must be dynamodb, rds or aurora, not "${value}".`);
}

/**
 * Flint's AWS resources for one stage: the API function behind a Function URL, and its store.
 * The DynamoDB store is the single table with the two history GSIs that
 * `packages/dynamodb/src/table.ts` declares. A PostgreSQL store lives in private subnets with
 * its credentials in Secrets Manager, which SST creates; the function reaches it through RDS
 * Proxy, which pools connections across Lambda instances.
 */
export function createFlint(options: { store: DeployStore; production: boolean }) {
  const functionArgs = {
    handler: "functions/api.handler",
    runtime: "nodejs20.x" as const,
    memory: "1024 MB" as const,
    timeout: "29 seconds" as const,
    url: true,
  };

  if (options.store === "dynamodb") {
    const historyAttributes = ["resourceType", "id", "vid", "lastUpdated", "method", "deleted", "supersededAt", "shard", "tx", "__edb_e__", "__edb_v__"];
    const table = new sst.aws.Dynamo("Table", {
      fields: { pk: "string", sk: "string", gsi1pk: "string", gsi1sk: "string", gsi2pk: "string", gsi2sk: "string" },
      primaryIndex: { hashKey: "pk", rangeKey: "sk" },
      globalIndexes: {
        gsi1: { hashKey: "gsi1pk", rangeKey: "gsi1sk", projection: historyAttributes },
        gsi2: { hashKey: "gsi2pk", rangeKey: "gsi2sk", projection: historyAttributes },
      },
    });
    const api = new sst.aws.Function("Api", { ...functionArgs, link: [table], environment: { FLINT_STORE: "dynamodb", FLINT_TABLE: table.name } });
    return { url: api.url, store: options.store, table: table.name };
  }

  // Lambda in private subnets reaches AWS APIs through NAT; an EC2 NAT instance costs less than a
  // managed NAT gateway for one API.
  const vpc = new sst.aws.Vpc("Vpc", { nat: "ec2" });
  const database =
    options.store === "aurora"
      ? new sst.aws.Aurora("Database", {
          engine: "postgres",
          vpc,
          proxy: true,
          scaling: options.production ? { min: "0.5 ACU", max: "16 ACU" } : { min: "0 ACU", max: "4 ACU", pauseAfter: "20 minutes" },
        })
      : new sst.aws.Postgres("Database", { vpc, proxy: true });
  const api = new sst.aws.Function("Api", {
    ...functionArgs,
    vpc,
    // The link passes host, port, database and credentials to the function encrypted; see functions/api.ts.
    link: [database],
    environment: { FLINT_STORE: "postgres", FLINT_DATABASE_LINK: "Database", FLINT_PG_POOL: "1" },
  });
  return { url: api.url, store: options.store, database: database.database };
}
