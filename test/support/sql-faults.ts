import type { SqlClient } from "@flint/postgres";

/** What the wrapper does at one statement inside a transaction. */
export type StatementFault = Error | "terminate";

export interface SqlFaultPlan {
  /**
   * Called before each statement that runs inside a transaction, numbered from 1 across every
   * transaction of the client. An error is thrown in place of the statement, so the transaction
   * rolls back. "terminate" ends the transaction's server process from a second connection with
   * `pg_terminate_backend` and then sends the statement, which fails on the dead connection.
   */
  statement?(number: number): StatementFault | undefined;
  /**
   * Called when a transaction's work has finished, numbered from 1. "rollback" throws the error
   * inside the transaction, so it rolls back and the caller sees the error after its work
   * finished. "commit" lets the transaction commit and then throws the error, as when the
   * connection drops before the COMMIT reply arrives.
   */
  end?(number: number): { error: Error; when: "rollback" | "commit" } | undefined;
}

/**
 * Wraps a real `SqlClient` to inject faults into its transactions. `admin` is a second client
 * on the same server, needed only for "terminate". Statements outside transactions pass.
 */
export function faultySqlClient(real: SqlClient, plan: SqlFaultPlan, admin?: SqlClient) {
  let statements = 0;
  let transactions = 0;
  const counts = { get statements() { return statements; }, get transactions() { return transactions; } };

  const wrapTransaction = (inner: SqlClient): SqlClient => {
    let backend: number | undefined;
    const wrapped: SqlClient = {
      async query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]> {
        const fault = plan.statement?.(++statements);
        if (fault instanceof Error) throw fault;
        if (fault === "terminate") {
          if (admin === undefined) throw new Error("A terminate fault needs an admin client.");
          backend ??= (await inner.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0]!.pid;
          await admin.query("SELECT pg_terminate_backend($1::integer)", [backend]);
        }
        return inner.query<Row>(text, params);
      },
      transaction: (work) => work(wrapped),
      close: () => inner.close(),
    };
    return wrapped;
  };

  const client: SqlClient = {
    query: (text, params) => real.query(text, params),
    async transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
      const number = ++transactions;
      const ending = plan.end?.(number);
      const result = await real.transaction(async (inner) => {
        const value = await work(wrapTransaction(inner));
        if (ending?.when === "rollback") throw ending.error;
        return value;
      });
      if (ending?.when === "commit") throw ending.error;
      return result;
    },
    close: () => real.close(),
  };
  return { client, counts };
}

/** Builds an error as the drivers raise it, with a SQLSTATE or client code in `code`. */
export function sqlError(code: string): Error {
  return Object.assign(new Error(`injected error ${code}`), { code });
}
