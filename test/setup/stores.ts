import { inject } from "vitest";
import type { FhirRepository } from "@flint/repository";
import { createTestRepository } from "./dynamodb.ts";

/** Backends the shared suites run on; the vitest project sets `FLINT_TEST_STORE`. */
export type TestStore = "dynamodb" | "pglite" | "postgres";

export const TEST_STORE: TestStore = readStore(process.env.FLINT_TEST_STORE);

function readStore(value: string | undefined): TestStore {
  if (value === undefined || value === "" || value === "dynamodb") return "dynamodb";
  if (value === "pglite" || value === "postgres") return value;
  throw new Error(`FLINT_TEST_STORE must be dynamodb, pglite or postgres, not "${value}".`);
}

type SqlClient = import("@flint/postgres").SqlClient;

/** One embedded database per test file, because PGlite takes about 3 s to start. */
let pglite: Promise<SqlClient> | undefined;
let server: SqlClient | undefined;
let schemas = 0;

/**
 * Creates an empty repository on the store of this test run: a fresh DynamoDB Local table, or a
 * fresh schema in the file's PGlite database or in the PostgreSQL server that the global setup
 * started.
 */
export async function createStoreRepository(): Promise<FhirRepository> {
  if (TEST_STORE === "dynamodb") return (await createTestRepository()).repository;
  return (await createPostgresTestRepository()).repository;
}

/**
 * Creates an empty PostgreSQL repository as `createStoreRepository` does on the pglite and
 * postgres projects, and returns its SQL client and schema too, for tests that inspect the tables.
 */
export async function createPostgresTestRepository(): Promise<{ repository: FhirRepository; client: SqlClient; schema: string }> {
  const { createPostgresRepository, openPglite, openPostgres } = await import("@flint/postgres");
  const schema = `test_${process.pid}_${++schemas}`;
  let client: SqlClient;
  if (TEST_STORE === "pglite") {
    pglite ??= openPglite();
    client = await pglite;
  } else {
    const url = inject("postgresUrl");
    if (url === "") throw new Error("No PostgreSQL server was started for the postgres test project; install PostgreSQL (apt-get install postgresql).");
    server ??= openPostgres(url, { max: 4 });
    client = server;
  }
  return { repository: await createPostgresRepository({ client, schema }), client, schema };
}
