import { handle } from "hono/aws-lambda";
import { Resource } from "sst";
import { createApp } from "@flint/api";
import { createDocumentClient, DynamoDbRepository } from "@flint/dynamodb";
import { createPostgresRepository, openPostgres } from "@flint/postgres";
import type { FhirRepository } from "@flint/repository";

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
 * at a time and RDS Proxy pools connections across instances.
 */
async function openRepository(environment: NodeJS.ProcessEnv): Promise<FhirRepository> {
  if (environment.FLINT_STORE === "postgres") {
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
  return new DynamoDbRepository({ client: createDocumentClient(), tableName });
}

/** Lambda entry: adapts API Gateway and Function URL events to the Flint app. */
const repository = await openRepository(process.env);
const app = createApp({ repository, basePath: process.env.FLINT_BASE_PATH ?? "/fhir" });

export const handler = handle(app);
