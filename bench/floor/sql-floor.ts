import { randomUUID } from "node:crypto";
import type { PGlite } from "@electric-sql/pglite";
import type postgres from "postgres";
import type { Captured, Workload } from "./capture.ts";
import type { FloorPlan } from "./dynamodb-floor.ts";
import { toWaves, type RecordedStatement } from "./record.ts";
import { substitute } from "./substitute.ts";

/** Runs statements with `$1`-style parameters, alone or in one transaction, on the driver itself. */
export interface RawSql {
  query(text: string, params: unknown[]): Promise<unknown>;
  /** Runs the statements in one transaction and returns the number of rows each returned. */
  transaction(statements: readonly Pick<RecordedStatement, "text" | "params">[]): Promise<number[]>;
}

/** The `postgres` client, without Flint's `SqlClient` wrapper. */
export function rawPostgres(sql: postgres.Sql): RawSql {
  return {
    query: (text, params) => sql.unsafe(text, params.map(toParameter) as never[]),
    transaction: async (statements) => {
      const counts: number[] = [];
      await sql.begin(async (transaction) => {
        for (const statement of statements) counts.push((await transaction.unsafe(statement.text, statement.params.map(toParameter) as never[])).length);
      });
      return counts;
    },
  };
}

/** PGlite, without Flint's `SqlClient` wrapper. */
export function rawPglite(database: PGlite): RawSql {
  return {
    query: (text, params) => database.query(text, params.map(toParameter)),
    transaction: async (statements) => {
      const counts: number[] = [];
      await database.transaction(async (transaction) => {
        for (const statement of statements) counts.push((await transaction.query(statement.text, statement.params.map(toParameter))).rows.length);
      });
      return counts;
    },
  };
}

/** Sends `undefined` as NULL, as Flint's `SqlClient` does. */
function toParameter(value: unknown): unknown {
  return value === undefined ? null : value;
}

/**
 * Replays recorded statements: each run of statements inside `SqlClient.transaction` in one
 * transaction, one after the other, and the others wave by wave, each wave's statements at once.
 * Raises an error when a statement returned no rows although its recording returned some, such
 * as an `UPDATE … WHERE vid = expected … RETURNING` whose version did not match.
 */
async function replayStatements(sql: RawSql, statements: readonly RecordedStatement[]): Promise<undefined> {
  let index = 0;
  while (index < statements.length) {
    const inTransaction = statements[index]!.inTransaction;
    let end = index;
    while (end < statements.length && statements[end]!.inTransaction === inTransaction) end++;
    const run = statements.slice(index, end);
    if (inTransaction) {
      const counts = await sql.transaction(run);
      counts.forEach((count, position) => {
        if (count === 0 && run[position]!.rowCount > 0) throw Object.assign(new Error(`A replayed statement matched no rows: ${run[position]!.text.slice(0, 60)}…`), { name: "NoRows" });
      });
    } else {
      for (const wave of toWaves(run)) await Promise.all(wave.map((statement) => sql.query(statement.text, statement.params)));
    }
    index = end;
  }
  return undefined;
}

/** Builds the PostgreSQL floor operations from the recorded statements. Workers of the update operation own one Patient each. */
export function sqlFloor(sql: RawSql, workload: Workload, captured: Captured<RecordedStatement>): FloorPlan {
  let nextRead = 0;
  let nextSearch = 0;
  const recordedId = captured.create.id;
  const updateIds = workload.floorUpdateIds;
  const versions = updateIds.map(() => 1);
  return {
    operations: [
      { name: "read", interaction: "read", description: "the recorded statements", run: () => replayStatements(sql, captured.reads[nextRead++ % captured.reads.length]!) },
      {
        name: "create",
        interaction: "create",
        description: "the recorded statements, with a new id",
        run: () => replayStatements(sql, substitute(captured.create.calls, recordedId, randomUUID())),
      },
      {
        name: "update",
        interaction: "update",
        description: "the recorded statements, on the worker's Patient",
        run: async (worker) => {
          const slot = worker % updateIds.length;
          await replayStatements(sql, substitute(captured.update, recordedId, updateIds[slot]!, versions[slot]! - 1));
          versions[slot]! += 1;
          return undefined;
        },
      },
      { name: "search", interaction: "search", description: "the recorded statements", run: () => replayStatements(sql, captured.searches[nextSearch++ % captured.searches.length]!) },
    ],
    flintCapacity: {},
    awsWriteUnits: {},
    consumed: {},
    calls: {
      read: describeStatements(captured.reads[0]!),
      create: describeStatements(captured.create.calls),
      update: describeStatements(captured.update),
      search: describeStatements(captured.searches[0]!),
    },
  };
}

/** Names the statements by their first word, with a transaction in brackets: `[SELECT, INSERT ×5]`. */
function describeStatements(statements: readonly RecordedStatement[]): string {
  const words = statements.map((statement) => ({ word: statement.text.trim().split(/\s+/)[0]!.toUpperCase(), inTransaction: statement.inTransaction }));
  const counted: string[] = [];
  for (let index = 0; index < words.length; ) {
    let end = index;
    while (end < words.length && words[end]!.word === words[index]!.word && words[end]!.inTransaction === words[index]!.inTransaction) end++;
    counted.push(`${words[index]!.word}${end - index > 1 ? ` ×${end - index}` : ""}`);
    index = end;
  }
  const inTransaction = statements.length > 0 && statements.every((statement) => statement.inTransaction);
  return inTransaction ? `transaction [${counted.join(", ")}]` : counted.join(", ");
}
