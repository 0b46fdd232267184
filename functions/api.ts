import { createApp, createLambdaObservability, type LambdaObservability } from "@flint/api";
import { createDocumentClient, DynamoDbRepository, observeDynamoDbClient } from "@flint/dynamodb";
import type { FhirRepository } from "@flint/repository";
import { createLambdaHandler } from "./adapter.ts";

/** Connection details of a database that the SST stack links to the function. */
interface LinkedDatabase {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

/**
 * Opens the store the SST stack configured: the DynamoDB table named by `FLINT_TABLE`, or, with
 * `FLINT_STORE=postgres`, the linked database named by `FLINT_DATABASE_LINK` (or `DATABASE_URL`).
 * The link arrives encrypted with the function, so the password is never a plain environment
 * variable. One connection per instance is enough, because a Lambda instance serves one request
 * at a time and RDS Proxy pools connections across instances. `DYNAMODB_ENDPOINT` points the
 * DynamoDB client at another endpoint, such as DynamoDB Local in tests.
 */
async function openRepository(environment: NodeJS.ProcessEnv, observability: LambdaObservability): Promise<FhirRepository> {
  if (environment.FLINT_STORE === "postgres") {
    // Loaded only here, so a function on DynamoDB does not evaluate the PostgreSQL client or SST's link reader at start.
    const [{ Resource }, { createPostgresRepository, openPostgres }] = await Promise.all([import("sst"), import("@flint/postgres")]);
    let url = environment.DATABASE_URL;
    const link = environment.FLINT_DATABASE_LINK;
    if (url === undefined && link !== undefined) {
      const database = (Resource as unknown as Record<string, LinkedDatabase>)[link];
      if (database === undefined) throw new Error(`The function has no linked resource named ${link}.`);
      const credentials = `${encodeURIComponent(database.username)}:${encodeURIComponent(database.password)}`;
      url = `postgres://${credentials}@${database.host}:${database.port}/${encodeURIComponent(database.database)}?sslmode=require`;
    }
    if (url === undefined) throw new Error("FLINT_STORE=postgres needs DATABASE_URL or FLINT_DATABASE_LINK.");
    const client = openPostgres(url, { max: Number(environment.FLINT_PG_POOL ?? "1") });
    return createPostgresRepository({ client, schema: environment.FLINT_PG_SCHEMA ?? "flint", ownsClient: true });
  }

  const tableName = environment.FLINT_TABLE;
  if (tableName === undefined || tableName === "") {
    throw new Error("FLINT_TABLE is not set; the function needs the name of its DynamoDB table.");
  }
  const endpoint = environment.DYNAMODB_ENDPOINT;
  const client = await observeDynamoDbClient(createDocumentClient(endpoint === undefined || endpoint === "" ? {} : { endpoint }), observability.dynamoDb);
  return new DynamoDbRepository({ client, tableName });
}

/**
 * Lambda entry: adapts API Gateway (REST and HTTP API), Function URL and ALB events to the Flint
 * app. `FLINT_BASE_PATH` is the path the app serves (`/fhir` by default; behind an HTTP API
 * stage other than `$default`, the stage comes first, as in `/prod/fhir`). `FLINT_BASE_URL`
 * replaces the base of the URLs in responses, which are otherwise built from the request's host
 * and path: a REST API stage is not part of the path that API Gateway passes on.
 *
 * On Lambda, each request writes one JSON log line with the Lambda request id and the X-Ray
 * trace id, an EMF metrics line, and an X-Ray subsegment per DynamoDB call. Elsewhere metrics
 * and tracing stay off. `FLINT_METRICS=off` and `FLINT_TRACING=off` switch them off on Lambda.
 */
// The logger reads the trace header from the live environment at each record, so it gets process.env itself.
const observability = createLambdaObservability(process.env);
const repository = await openRepository(process.env, observability);
const baseUrl = process.env.FLINT_BASE_URL;
const app = createApp({
  repository,
  basePath: process.env.FLINT_BASE_PATH ?? "/fhir",
  ...(baseUrl === undefined || baseUrl === "" ? {} : { baseUrl }),
  logger: observability.logger,
  metrics: observability.metrics,
});

export const handler = createLambdaHandler(app);
