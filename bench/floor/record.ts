import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SqlClient } from "@flint/postgres";
import { capacityOf, type Capacity } from "./capacity.ts";

/** Start and end of one recorded call, in `performance.now()` milliseconds, so that the replay can keep calls that overlapped concurrent. */
export interface CallTiming {
  startedAt: number;
  endedAt: number;
}

/** One DynamoDB command as the repository sent it: the document client command class name, a copy of its input, and the capacity DynamoDB reported for it. */
export interface RecordedCommand extends CallTiming {
  name: string;
  input: Record<string, unknown>;
  capacity: Capacity;
  /** `ConsumedCapacity` of the response as DynamoDB returned it. */
  consumed: unknown;
}

/** One SQL statement as the repository ran it, with `inTransaction` true inside `SqlClient.transaction`. */
export interface RecordedStatement extends CallTiming {
  text: string;
  params: unknown[];
  inTransaction: boolean;
  /** Rows the statement returned when it was recorded. */
  rowCount: number;
}

type SentCommand = { constructor: { name: string }; input: Record<string, unknown> };

/**
 * Wraps a document client so that every command passed to `send` is copied into the current
 * recording, when one is open. While recording, the wrapper also sets
 * `ReturnConsumedCapacity: "TOTAL"` on the command, and the capacity in the response is kept with it.
 */
export function recordingDocumentClient(real: DynamoDBDocumentClient) {
  let recording: RecordedCommand[] | undefined;
  const client = new Proxy(real, {
    get(target, property, receiver) {
      if (property !== "send") return Reflect.get(target, property, receiver);
      return async (command: SentCommand, ...rest: unknown[]) => {
        const send = () => (target.send as (...args: unknown[]) => Promise<unknown>).call(target, command, ...rest);
        const sink = recording;
        if (sink === undefined) return send();
        const entry: RecordedCommand = { name: command.constructor.name, input: structuredClone(command.input), capacity: { read: 0, write: 0 }, consumed: undefined, startedAt: performance.now(), endedAt: 0 };
        sink.push(entry);
        command.input.ReturnConsumedCapacity ??= "TOTAL";
        const output = await send();
        entry.endedAt = performance.now();
        entry.capacity = capacityOf(entry.name, output);
        entry.consumed = (output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        return output;
      };
    },
  });
  return {
    client: client as DynamoDBDocumentClient,
    /** Runs `work` and returns the commands sent while it ran. Recordings must not overlap. */
    record: (work: () => Promise<unknown>) => recordDuring<RecordedCommand>(work, (sink) => (recording = sink)),
  };
}

/** Wraps a `SqlClient` so that every statement, also inside transactions, is copied into the current recording. */
export function recordingSqlClient(real: SqlClient) {
  let recording: RecordedStatement[] | undefined;
  const wrap = (inner: SqlClient, inTransaction: boolean): SqlClient => ({
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      const sink = recording;
      if (sink === undefined) return inner.query<Row>(text, params);
      const entry: RecordedStatement = { text, params: structuredClone([...params]), inTransaction, rowCount: 0, startedAt: performance.now(), endedAt: 0 };
      sink.push(entry);
      const rows = await inner.query<Row>(text, params);
      entry.endedAt = performance.now();
      entry.rowCount = rows.length;
      return rows;
    },
    transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
      return inner.transaction((transaction) => work(wrap(transaction, true)));
    },
    close: () => inner.close(),
  });
  return {
    client: wrap(real, false),
    /** Runs `work` and returns the statements run while it ran. Recordings must not overlap. */
    record: (work: () => Promise<unknown>) => recordDuring<RecordedStatement>(work, (sink) => (recording = sink)),
  };
}

async function recordDuring<T>(work: () => Promise<unknown>, setSink: (sink: T[] | undefined) => void): Promise<T[]> {
  const calls: T[] = [];
  setSink(calls);
  try {
    await work();
  } finally {
    setSink(undefined);
  }
  return calls;
}

/**
 * Groups recorded calls into waves for the replay: a call joins the current wave when it
 * started before every call of that wave had ended, as calls sent with `Promise.all` do.
 * Waves run one after the other.
 */
export function toWaves<T extends CallTiming>(calls: readonly T[]): T[][] {
  const waves: T[][] = [];
  let waveEnd = Number.NEGATIVE_INFINITY;
  for (const call of [...calls].sort((a, b) => a.startedAt - b.startedAt)) {
    if (waves.length === 0 || call.startedAt >= waveEnd) {
      waves.push([call]);
      waveEnd = call.endedAt;
    } else {
      waves.at(-1)!.push(call);
      waveEnd = Math.max(waveEnd, call.endedAt);
    }
  }
  return waves;
}
