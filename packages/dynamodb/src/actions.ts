import { BatchWriteCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { backoff, MAX_CALL_ATTEMPTS, withRetries } from "./retry.ts";
import type { Store } from "./store.ts";

/** One action of a `TransactWriteItems` call, in the document client's format. */
export type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** DynamoDB limits of one `TransactWriteItems` call: 100 actions and 4 MB in total. */
export const MAX_TRANSACT_ACTIONS = 100;
/** Byte budget per call, below the 4 MB limit to leave room for attribute names and overhead. */
export const MAX_TRANSACT_BYTES = 3_500_000;

type Params = Record<string, unknown>;

/** Keeps the members that `TransactWriteItems` accepts for each action kind. */
function pick(params: Params, names: readonly string[]): Params {
  const picked: Params = {};
  for (const name of names) if (params[name] !== undefined) picked[name] = params[name];
  return picked;
}

const CONDITION = ["ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"];

export function asPut(params: Params): TransactItem {
  return { Put: pick(params, ["TableName", "Item", ...CONDITION]) } as TransactItem;
}

export function asUpdate(params: Params): TransactItem {
  return { Update: pick(params, ["TableName", "Key", "UpdateExpression", ...CONDITION]) } as TransactItem;
}

export function asDelete(params: Params): TransactItem {
  return { Delete: pick(params, ["TableName", "Key", ...CONDITION]) } as TransactItem;
}

/** Turns a conditional update's parameters into a check of the same condition that writes nothing. */
export function asConditionCheck(params: Params): TransactItem {
  return { ConditionCheck: pick(params, ["TableName", "Key", ...CONDITION]) } as TransactItem;
}

/** Estimates the request bytes of one action, for chunking under `MAX_TRANSACT_BYTES`. */
export function actionBytes(item: TransactItem): number {
  let size = 200;
  const stack: unknown[] = [item];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") size += value.length * 3;
    else if (value instanceof Uint8Array) size += value.byteLength;
    else if (typeof value === "number" || typeof value === "boolean") size += 8;
    else if (Array.isArray(value)) stack.push(...value);
    else if (typeof value === "object" && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        size += key.length;
        stack.push(child);
      }
    }
  }
  return size;
}

/** Outcome of one `TransactWriteItems`: committed, or cancelled with a reason code per action. */
export type TransactOutcome = { committed: true } | { committed: false; reasons: string[] };

/**
 * Sends one `TransactWriteItems` with a client request token. Every attempt of the call carries
 * the same token, so when an attempt is applied but its response is lost (a timeout or a dropped
 * connection), the next attempt returns success without writing again, for up to 10 minutes.
 * A cancellation caused only by other transactions on the same items (`TransactionConflict`) is
 * sent again too, up to `MAX_CALL_ATTEMPTS` times with backoff, because its conditions are
 * checked afresh. Other cancellations are returned, not raised.
 */
export async function transactWrite(store: Store, items: TransactItem[]): Promise<TransactOutcome> {
  if (items.length === 0) return { committed: true };
  const token = crypto.randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      await withRetries(() => store.client.send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: token })));
      return { committed: true };
    } catch (error) {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons?.map((reason) => reason.Code ?? "None");
      if (reasons === undefined) throw error;
      if (!isConflictOnly(reasons) || attempt >= MAX_CALL_ATTEMPTS) return { committed: false, reasons };
      await backoff(attempt);
    }
  }
}

/** Tells whether a cancellation came only from concurrent transactions, with every condition met. */
export function isConflictOnly(reasons: readonly string[]): boolean {
  return reasons.includes("TransactionConflict") && reasons.every((reason) => reason === "None" || reason === "TransactionConflict");
}

/** Splits actions into groups that each fit one `TransactWriteItems` call, keeping groups whole. */
export function chunkGroups(groups: TransactItem[][], reserved = 0): TransactItem[][] {
  const chunks: TransactItem[][] = [];
  let current: TransactItem[] = [];
  let bytes = 0;
  for (const group of groups) {
    const groupBytes = group.reduce((sum, item) => sum + actionBytes(item), 0);
    const full = current.length + group.length > MAX_TRANSACT_ACTIONS - reserved || bytes + groupBytes > MAX_TRANSACT_BYTES;
    if (full && current.length > 0) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(...group);
    bytes += groupBytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Runs tasks with at most `limit` in flight; stops starting new ones after the first failure. */
export async function runBounded<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  let failure: unknown;
  let failed = false;
  const worker = async () => {
    while (!failed && next < tasks.length) {
      const index = next++;
      try {
        results[index] = await tasks[index]!();
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  if (failed) throw failure;
  return results;
}

/** Function that starts a task once fewer than its limit of tasks are running. Several callers can share one. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** Creates a limiter that lets at most `limit` tasks run at the same time. */
export function createLimiter(limit: number): Limiter {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    while (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Items per `BatchWriteItem` call, DynamoDB's limit. */
const BATCH_WRITE_ITEMS = 25;

/**
 * Writes puts and deletes without a transaction, 25 per `BatchWriteItem`, retrying the items
 * DynamoDB leaves unprocessed. For items whose order and atomicity do not matter, such as
 * index items, which search verifies against the resource anyway. Conditions are not sent.
 * `concurrency` is a number of calls in flight, or a limiter shared with other writes. With a
 * limiter, every call has ended when the returned promise settles, even after a failure.
 */
export async function batchWrite(store: Store, items: readonly TransactItem[], concurrency: number | Limiter = 4): Promise<void> {
  const requests = items.map((item) => {
    if (item.Put !== undefined) return { PutRequest: { Item: item.Put.Item } };
    if (item.Delete !== undefined) return { DeleteRequest: { Key: item.Delete.Key } };
    throw new Error("batchWrite takes only puts and deletes.");
  });
  const chunks: Array<typeof requests> = [];
  for (let index = 0; index < requests.length; index += BATCH_WRITE_ITEMS) chunks.push(requests.slice(index, index + BATCH_WRITE_ITEMS));

  const tasks = chunks.map((chunk) => async () => {
    let pending = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const output = await withRetries(() => store.client.send(new BatchWriteCommand({ RequestItems: { [store.tableName]: pending as never } })));
      pending = (output.UnprocessedItems?.[store.tableName] ?? []) as typeof chunk;
      if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** Math.min(attempt, 6)));
    }
  });
  if (typeof concurrency === "number") {
    await runBounded(tasks, concurrency);
    return;
  }

  const limit = concurrency;
  const outcomes = await Promise.allSettled(tasks.map((task) => limit(task)));
  const failed = outcomes.find((outcome) => outcome.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}
