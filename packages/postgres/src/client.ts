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
  const database = await PGlite.create(options.dataDir);
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
