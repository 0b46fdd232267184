import { Resource } from "sst";
import { createPostgresRepository, openPostgres } from "@flint/postgres";
import { createFunctionHandler } from "./function.ts";

/** Connection details of a database that the SST stack links to the function. */
interface LinkedDatabase {
  host: string;
  port: number;
  username: string;
  password: string;
  database: string;
}

/**
 * Lambda entry on PostgreSQL: the linked database named by `FLINT_DATABASE_LINK`, or
 * `DATABASE_URL`. The link arrives encrypted with the function, so the password is never a plain
 * environment variable. One connection per instance is enough (`FLINT_PG_POOL`, default 1),
 * because a Lambda instance serves one request at a time and RDS Proxy pools connections across
 * instances. See `createFunctionHandler` for the settings every entry reads.
 */
export const handler = await createFunctionHandler(async (environment) => {
  let url = environment.DATABASE_URL;
  const link = environment.FLINT_DATABASE_LINK;
  if (url === undefined && link !== undefined) {
    const database = (Resource as unknown as Record<string, LinkedDatabase>)[link];
    if (database === undefined) throw new Error(`The function has no linked resource named ${link}.`);
    const credentials = `${encodeURIComponent(database.username)}:${encodeURIComponent(database.password)}`;
    url = `postgres://${credentials}@${database.host}:${database.port}/${encodeURIComponent(database.database)}?sslmode=require`;
  }
  if (url === undefined) throw new Error("The PostgreSQL entry needs DATABASE_URL or FLINT_DATABASE_LINK.");
  const client = openPostgres(url, { max: Number(environment.FLINT_PG_POOL ?? "1") });
  return createPostgresRepository({ client, schema: environment.FLINT_PG_SCHEMA ?? "flint", ownsClient: true });
});
