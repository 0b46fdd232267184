import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import postgres from "postgres";

/** Minimal SQL access that both drivers satisfy. */
export interface SqlClient {
  /** Runs one statement with `$1`-style parameters and returns its rows. `undefined` parameters are sent as NULL. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * Runs `work` in one SQL transaction on one connection: COMMIT when it resolves, ROLLBACK when
   * it throws. Called on a client that is already in a transaction, it runs `work` in that same
   * transaction.
   */
  transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T>;
  /** Ends every connection; pending queries finish first. */
  close(): Promise<void>;
}

/** Default size of the connection pool of `openPostgres`. */
const DEFAULT_POOL_SIZE = 10;

/**
 * Opens a connection pool to a PostgreSQL server with the `postgres` client, for a URL such as
 * `postgres://user:password@host:5432/database`. Connections open on the first query.
 */
export function openPostgres(url: string, options: { max?: number } = {}): SqlClient {
  const sql = postgres(url, {
    max: options.max ?? DEFAULT_POOL_SIZE,
    // The client prints NOTICE messages (such as "schema already exists") by default.
    onnotice: () => undefined,
    connection: { application_name: "flint" },
  });
  return wrapPostgres(sql, () => sql.end({ timeout: 5 }));
}

function wrapPostgres(sql: postgres.Sql | postgres.TransactionSql, close: () => Promise<void>, inTransaction = false): SqlClient {
  const client: SqlClient = {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      const rows = await sql.unsafe(text, params.map(toParameter) as never[]);
      return Array.from(rows) as Row[];
    },
    async transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
      if (inTransaction) return work(client);
      const result = await (sql as postgres.Sql).begin((transaction) => work(wrapPostgres(transaction, close, true)));
      return result as T;
    },
    close,
  };
  return client;
}

/**
 * Opens an embedded PostgreSQL (PGlite, PostgreSQL compiled to WebAssembly) in memory, or in
 * `dataDir` when given. It has one connection, so statements and transactions run one at a time.
 */
export async function openPglite(options: { dataDir?: string } = {}): Promise<SqlClient> {
  if (options.dataDir !== undefined) await initializePgliteFolder(options.dataDir);
  // 16 MB of shared buffers instead of PostgreSQL's 128 MB: a reopened PGlite then stays near
  // 150 to 230 MiB resident instead of 290 to 350 MiB (measured in docs/benchmarks.md, Memory).
  const startParams = [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];
  const database = await PGlite.create(options.dataDir, { startParams });
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await database.query<Row>(text, params.map(toParameter))).rows;
    },
    transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
      return database.transaction((transaction) => work(wrapPgliteTransaction(transaction)));
    },
    close: () => database.close(),
  };
}

/**
 * Creates the PostgreSQL cluster in a new PGlite data folder (initdb) and closes it again.
 * WebAssembly memory never shrinks, and initdb grows PGlite's to about 750 MiB, so on Node it
 * runs in a child process whose memory ends with it. Deno and Bun run it in this process; the
 * memory returns once the closed instance is garbage-collected.
 */
async function initializePgliteFolder(dataDir: string): Promise<void> {
  if (existsSync(join(dataDir, "PG_VERSION"))) return;
  if ("Deno" in globalThis || process.versions.bun !== undefined) {
    await (await PGlite.create(dataDir)).close();
    return;
  }

  const module = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const script = "const [module, dataDir] = process.argv.slice(1); require(module).PGlite.create(dataDir).then((db) => db.close());";
  const child = spawn(process.execPath, ["-e", script, module, dataDir], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr = (stderr + text).slice(-2_000)));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  if (code !== 0) {
    throw new Error(`Creating the PGlite database in ${dataDir} failed (${signal ?? `exit code ${code}`}): ${stderr.trim() || "no message"}`);
  }
}

function wrapPgliteTransaction(transaction: Transaction): SqlClient {
  const client: SqlClient = {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await transaction.query<Row>(text, params.map(toParameter))).rows;
    },
    transaction: (work) => work(client),
    close: async () => {
      throw new Error("Close the client that opened the transaction, not the transaction.");
    },
  };
  return client;
}

/** Sends `undefined` as NULL, which the `postgres` client would reject. */
function toParameter(value: unknown): unknown {
  return value === undefined ? null : value;
}
