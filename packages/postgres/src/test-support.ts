import { inject } from "vitest";
import type { SqlClient } from "./client.ts";
import { openPglite } from "./client.ts";
import { createPostgresRepository, type PostgresRepositoryOptions } from "./repository.ts";

/** Message of the tests that skip themselves when no PostgreSQL server could be started. */
export const NO_SERVER = "no PostgreSQL server was started, because initdb and pg_ctl were not found; install them with apt-get install postgresql";

/** URL of the throwaway server that test/setup/postgres-server.ts started, or "" when there is none. */
export function serverUrl(): string {
  return inject("postgresUrl") ?? "";
}

let pglite: Promise<SqlClient> | undefined;
let schemas = 0;

/** Returns the in-memory PGlite of this test file, started on first use because it takes about 3 s to start. */
export function filePglite(): Promise<SqlClient> {
  pglite ??= openPglite();
  return pglite;
}

/** Closes this file's PGlite if it was started. */
export async function closeFilePglite(): Promise<void> {
  if (pglite !== undefined) await (await pglite).close();
  pglite = undefined;
}

/** Returns a schema name that no other repository of this run uses. */
export function freshSchema(label: string): string {
  return `${label}_${process.pid}_${++schemas}`;
}

/** Creates a repository in a fresh schema of `client`. */
export function repositoryIn(client: SqlClient, label: string, options: Omit<PostgresRepositoryOptions, "client" | "schema"> = {}) {
  return createPostgresRepository({ client, schema: freshSchema(label), ...options });
}
