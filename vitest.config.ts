import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

/** Suites that run on every backend: they reach the store only through the HTTP app. */
const SHARED_SUITES = ["test/http/**/*.test.ts", "test/bundle/**/*.test.ts", "test/search/**/*.test.ts", "test/handed/**/*.test.ts", "test/conformance/**/*.test.ts", "test/fixtures/**/*.test.ts", "test/bad-input/**/*.test.ts", "test/concurrency/**/*.test.ts"];

/** PostgreSQL binaries the server setup can use; without them the postgres project is left out. */
const HAS_POSTGRES = ["/usr/local/bin/initdb", "/usr/bin/initdb", ...["15", "16", "17"].map((major) => `/usr/lib/postgresql/${major}/bin/initdb`)].some(existsSync);
if (!HAS_POSTGRES) console.warn("PostgreSQL is not installed, so the postgres test project is skipped (apt-get install postgresql).");

/**
 * Three projects:
 * - `dynamodb`: every unit and integration test, with DynamoDB Local started once in memory and
 *   a throwaway PostgreSQL server for the PostgreSQL package's own tests;
 * - `pglite`: the shared suites on embedded PostgreSQL;
 * - `postgres`: the shared suites on a throwaway PostgreSQL server.
 * `npm test` runs all three; `npx vitest run --project dynamodb` runs one.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AWS_XRAY_CONTEXT_MISSING: "IGNORE_ERROR",
      DDB_LOCAL_TELEMETRY: "0",
    },
    projects: [
      {
        extends: true,
        test: {
          name: "dynamodb",
          include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
          globalSetup: ["test/setup/dynamodb-local.ts", ...(HAS_POSTGRES ? ["test/setup/postgres-server.ts"] : [])],
          env: { FLINT_TEST_STORE: "dynamodb" },
        },
      },
      { extends: true, test: { name: "pglite", include: SHARED_SUITES, env: { FLINT_TEST_STORE: "pglite" } } },
      ...(HAS_POSTGRES
        ? [{ extends: true as const, test: { name: "postgres", include: SHARED_SUITES, globalSetup: ["test/setup/postgres-server.ts"], env: { FLINT_TEST_STORE: "postgres" } } }]
        : []),
    ],
  },
});
