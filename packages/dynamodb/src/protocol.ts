import { gunzipSync, gzipSync } from "node:zlib";
import { FhirError } from "@flint/core";
import { OperationError } from "@flint/repository";
import { asDelete, asPut, asUpdate, batchWrite, chunkGroups, createLimiter, isConflictOnly, runBounded, transactWrite, type TransactItem } from "./actions.ts";
import { bodyFieldsOf } from "./bodies.ts";
import {
  addedKeys,
  claimPut,
  lockHead,
  promoteHead,
  readHeads,
  removedKeys,
  supersede,
  unlockHead,
  versionPut,
  type PlannedOperation,
} from "./plan.ts";
import { indexItemWrite } from "./index-keys.ts";
import { isTransientError, transientError, withRetries } from "./retry.ts";
import type { Store } from "./store.ts";
import { SDK_ERRORS } from "./entities.ts";

/**
 * The multi-step commit for writes that do not fit one `TransactWriteItems` (100 actions,
 * 4 MB). `docs/transactions.md` states the protocol, its invariants and its failure cases.
 *
 * 1. Create the transaction record (PENDING, with a lease) and register it as open.
 * 2. Write the operation log, from which any process can finish or undo the transaction.
 * 3. Lock every head on the version read and stage each new version, tagged with the
 *    transaction; then write the new index items. Every chunk also checks that the record is
 *    still PENDING, so nothing is staged after an abort.
 * 4. Commit: one conditional update of the record from PENDING to COMMITTED. Readers treat
 *    staged versions as current exactly when the record's status is COMMITTED or APPLIED.
 * 5. Apply: copy each staged version into its head, releasing the lock, stamp the previous
 *    version and delete stale index items; then mark the record APPLIED.
 */

/** Calls of one transaction in flight at the same time, counted separately for transaction chunks and index batches. */
const CONCURRENCY = 8;

/** Operation as kept in the log: the plan without bodies, which the staged versions hold. */
type LoggedOperation = Omit<PlannedOperation, "body" | "json" | "resource">;

/** Raw log bytes per log item, well below DynamoDB's 400 KB item limit. */
const LOG_CHUNK_BYTES = 300_000;

export type ProtocolOutcome = { committed: true } | { committed: false; operation: number; reason: "head" | "claim" | "busy" };

/**
 * Runs the protocol for planned operations. When a step fails, the transaction is undone at
 * once if the store allows it, so that its locks do not block other writers for a whole lease.
 * The undo finds out whether a commit whose response was lost was applied, and then finishes it,
 * and the call succeeds. A fault while applying a committed transaction does not fail the call
 * either: readers already see the new state, and recovery or the next writer finishes it.
 */
export async function commitInSteps(store: Store, operations: PlannedOperation[]): Promise<ProtocolOutcome> {
  const tx = crypto.randomUUID();
  const createdAt = store.now().getTime();

  const heartbeat = renewLease(store, tx);
  let committed: boolean;
  try {
    await begin(store, tx, createdAt, operations.length);
    await writeLog(store, tx, operations);

    const guard = guardItem(store, tx);
    const staged = await stage(store, tx, operations, guard);
    if (!staged.committed) {
      heartbeat.stop();
      await abort(store, tx, operations);
      return staged;
    }
    committed = await commitRecord(store, tx);
  } catch (error) {
    heartbeat.stop();
    const settled = await abort(store, tx, operations).catch(() => undefined);
    if (settled === "applied") return { committed: true };
    throw error;
  } finally {
    heartbeat.stop();
  }
  if (!committed) {
    await settleTransaction(store, tx);
    throw new FhirError("transient", "The transaction took longer than its lease and was rolled back; send it again.");
  }

  try {
    await apply(store, tx, operations);
  } catch (error) {
    if (!isTransientError(error) && !(error instanceof FhirError && error.kind === "transient")) throw error;
  }
  return { committed: true };
}

/** Step 4, the commit point: the record goes from PENDING to COMMITTED while its lease lasts. */
async function commitRecord(store: Store, tx: string): Promise<boolean> {
  const commit = asUpdate(
    store.service.entities.txRecord
      .update({ tx })
      .set({ status: "COMMITTED" })
      .where((attributes, { eq, gt }) => `${eq(attributes.status, "PENDING")} AND ${gt(attributes.expiresAt, store.now().getTime())}`)
      .params(),
  );
  return (await transactWrite(store, [commit])).committed;
}

/**
 * Extends the lease of a running transaction every quarter lease, so that a large transaction
 * on a slow store is not aborted while it is still staging, while one whose process died is
 * abandoned within one lease. A failed renewal is ignored: the next one, or the commit's own
 * lease condition, decides.
 */
function renewLease(store: Store, tx: string): { stop(): void } {
  const renew = () => {
    const expiresAt = store.now().getTime() + store.leaseMs;
    store.service.entities.txRecord
      .patch({ tx })
      .set({ expiresAt })
      .where((attributes, { eq }) => eq(attributes.status, "PENDING"))
      .go(SDK_ERRORS)
      .catch(() => undefined);
  };
  const timer = setInterval(renew, Math.max(1_000, store.leaseMs / 4));
  (timer as { unref?: () => void }).unref?.();
  return { stop: () => clearInterval(timer) };
}

async function begin(store: Store, tx: string, createdAt: number, count: number): Promise<void> {
  const entities = store.service.entities;
  const record = entities.txRecord.create({ tx, status: "PENDING", createdAt, expiresAt: createdAt + store.leaseMs, operations: count });
  const open = entities.txOpen.create({ tx, createdAt });
  const outcome = await transactWrite(store, [asPut(record.params()), asPut(open.params())]);
  if (!outcome.committed && isConflictOnly(outcome.reasons)) throw transientError(new Error(`Transaction ${tx} met concurrent transactions when it was registered.`));
  if (!outcome.committed) throw new FhirError("exception", `Transaction ${tx} could not be registered: ${outcome.reasons.join(", ")}.`);
}

async function writeLog(store: Store, tx: string, operations: PlannedOperation[]): Promise<void> {
  const logged: LoggedOperation[] = operations.map(({ body: _body, json: _json, resource: _resource, ...rest }) => rest);
  const chunks: LoggedOperation[][] = [[]];
  let bytes = 0;
  for (const operation of logged) {
    const size = JSON.stringify(operation).length;
    if (bytes + size > LOG_CHUNK_BYTES && chunks.at(-1)!.length > 0) {
      chunks.push([]);
      bytes = 0;
    }
    chunks.at(-1)!.push(operation);
    bytes += size;
  }
  await runBounded(
    chunks.map((chunk, index) => () => {
      const data = gzipSync(JSON.stringify(chunk));
      return withRetries(() => store.service.entities.txLog.put({ tx, chunk: index, operations: data }).go(SDK_ERRORS));
    }),
    CONCURRENCY,
  );
}

async function readLog(store: Store, tx: string): Promise<LoggedOperation[]> {
  const { data } = await withRetries(() => store.service.entities.txLog.query.primary({ tx }).go({ ...SDK_ERRORS, pages: "all", consistent: true }));
  data.sort((a, b) => a.chunk - b.chunk);
  return data.flatMap((item) => JSON.parse(gunzipSync(item.operations as Uint8Array).toString("utf8")) as LoggedOperation[]);
}

/** Checks, inside each staging chunk, that the transaction is still PENDING. */
function guardItem(store: Store, tx: string): TransactItem {
  const { TableName, Key } = store.service.entities.txRecord.get({ tx }).params() as Record<string, unknown>;
  return {
    ConditionCheck: {
      TableName,
      Key,
      ConditionExpression: "#status = :pending",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":pending": "PENDING" },
    },
  } as TransactItem;
}

/**
 * Step 3: locks and staged versions (with claims) in guarded chunks. As soon as a chunk is
 * committed, the new index items of its operations are written. Every index write has ended
 * before this returns, so an abort that follows removes exactly the items of the locked heads.
 */
async function stage(store: Store, tx: string, operations: PlannedOperation[], guard: TransactItem): Promise<ProtocolOutcome> {
  const lockGroups = operations.map((operation) => {
    const items = [lockHead(store, operation, tx), versionPut(store, operation, tx)];
    if (operation.claim !== undefined) items.push(claimPut(store, operation, operation.claim, tx));
    return items.map((item) => ({ item, operation: operation.index, role: items.indexOf(item) === 2 ? "claim" : "head" }));
  });

  // Index items need no guard: search verifies every candidate against the visible version, so
  // an item of an uncommitted version never changes a result. NOTE: a writer still running
  // after recovery aborted its transaction can leave such items behind; the checker reports them.
  const byIndex = new Map(operations.map((operation) => [operation.index, operation]));
  const limit = createLimiter(CONCURRENCY);
  const indexWrites: Array<Promise<void>> = [];
  const writeIndexItems = (chunk: TaggedItem[]) => {
    const staged = [...new Set(chunk.map((tagged) => tagged.operation))].map((index) => byIndex.get(index)!);
    const items = staged.flatMap((operation) => addedKeys(operation).map((key) => indexItemWrite(store, key, operation.id, "put")));
    const write = batchWrite(store, items, limit);
    // The failure is read below, after the lock chunks end; this keeps it from being reported
    // as an unhandled rejection in the meantime.
    write.catch(() => undefined);
    indexWrites.push(write);
  };

  let failure: ProtocolOutcome | undefined;
  try {
    failure = await sendGuarded(store, lockGroups, guard, writeIndexItems);
  } finally {
    const outcomes = await Promise.allSettled(indexWrites);
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failure === undefined && failed !== undefined) throw failed.reason;
  }
  return failure ?? { committed: true };
}

type TaggedItem = { item: TransactItem; operation: number; role: string };

/**
 * Sends groups of items in chunks that each also check the guard, calls `onCommitted` with each
 * chunk that commits, and returns the first failure.
 */
async function sendGuarded(store: Store, groups: TaggedItem[][], guard: TransactItem, onCommitted: (chunk: TaggedItem[]) => void): Promise<ProtocolOutcome | undefined> {
  const chunks = chunkTagged(groups, 1);
  let failure: ProtocolOutcome | undefined;
  await runBounded(
    chunks.map((chunk) => async () => {
      if (failure !== undefined) return;
      const outcome = await transactWrite(store, [guard, ...chunk.map((tagged) => tagged.item)]);
      if (outcome.committed) {
        onCommitted(chunk);
        return;
      }
      const at = outcome.reasons.findIndex((reason) => reason !== "None");
      const culprit = at > 0 ? chunk[at - 1] : undefined;
      if (isConflictOnly(outcome.reasons)) {
        failure ??= { committed: false, operation: culprit?.operation ?? 0, reason: "busy" };
        return;
      }
      if (culprit === undefined || outcome.reasons.includes("TransactionConflict")) {
        failure ??= { committed: false, operation: culprit?.operation ?? 0, reason: "head" };
        return;
      }
      failure ??= { committed: false, operation: culprit.operation, reason: culprit.role === "claim" ? "claim" : "head" };
    }),
    CONCURRENCY,
  );
  return failure;
}

function chunkTagged(groups: TaggedItem[][], reserved: number): TaggedItem[][] {
  const byItem = new Map<TransactItem, TaggedItem>();
  for (const group of groups) for (const tagged of group) byItem.set(tagged.item, tagged);
  return chunkGroups(groups.map((group) => group.map((tagged) => tagged.item)), reserved).map((chunk) => chunk.map((item) => byItem.get(item)!));
}

/**
 * Step 5: promotes every staged version. All stale index items are deleted and previous
 * versions stamped before any head is released, so a re-run after a crash repeats exactly the
 * operations whose head is still locked.
 */
async function apply(store: Store, tx: string, operations: PlannedOperation[]): Promise<void> {
  const staleItems = operations.flatMap((operation) => removedKeys(operation).map((key) => indexItemWrite(store, key, operation.id, "delete")));
  await batchWrite(store, staleItems, CONCURRENCY);
  const superseded = operations.flatMap((operation) => (operation.expectedVid > 0 ? [[supersede(store, operation)]] : []));
  const promotions = operations.map((operation) => [promoteHead(store, operation, tx)]);

  for (const pass of [superseded, promotions]) {
    await runBounded(
      chunkGroups(pass).map((chunk) => async () => {
        const outcome = await transactWrite(store, chunk);
        if (!outcome.committed) await applyOneByOne(store, chunk);
      }),
      CONCURRENCY,
    );
  }
  await finish(store, tx, "APPLIED");
}

/** Sends items one at a time, skipping those whose condition shows they were already applied. */
async function applyOneByOne(store: Store, items: TransactItem[]): Promise<void> {
  for (const item of items) {
    const outcome = await transactWrite(store, [item]);
    if (!outcome.committed && outcome.reasons[0] !== "ConditionalCheckFailed") {
      throw new FhirError("transient", `A write of a committed transaction was cancelled (${outcome.reasons[0]}); recovery will finish it.`);
    }
  }
}

async function finish(store: Store, tx: string, status: "APPLIED" | "ABORTED"): Promise<void> {
  const entities = store.service.entities;
  await withRetries(() => entities.txRecord.patch({ tx }).set({ status }).go(SDK_ERRORS));
  await withRetries(() => entities.txOpen.delete({ tx }).go(SDK_ERRORS));
}

/**
 * Undoes an uncommitted transaction. It is marked ABORTED, unless it committed meanwhile, in
 * which case it is finished instead. For the operations whose head it still locks, the new
 * index items, staged versions and claims are removed, and the heads are released last.
 */
async function abort(store: Store, tx: string, operations: ReadonlyArray<LoggedOperation>): Promise<"aborted" | "applied"> {
  const entities = store.service.entities;
  const marked = await transactWrite(store, [
    asUpdate(entities.txRecord.update({ tx }).set({ status: "ABORTED" }).where((attributes, { eq }) => eq(attributes.status, "PENDING")).params()),
  ]);
  if (!marked.committed) {
    const { data } = await withRetries(() => entities.txRecord.get({ tx }).go({ ...SDK_ERRORS, consistent: true }));
    if (data?.status === "COMMITTED" || data?.status === "APPLIED") {
      await rollForward(store, tx, operations);
      return "applied";
    }
  }

  const heads = await readHeads(store, operations);
  const locked = operations.filter((operation) => heads.get(`${operation.resourceType}/${operation.id}`)?.lock === tx);
  const staleIndex = locked.flatMap((operation) => addedKeys(operation as PlannedOperation).map((key) => indexItemWrite(store, key, operation.id, "delete")));
  await batchWrite(store, staleIndex, CONCURRENCY);

  const undo = locked.map((operation) => {
    const { resourceType, id } = operation;
    const items = [asDelete(entities.version.delete({ resourceType, id, vid: operation.newVid }).where((attributes, { eq }) => eq(attributes.tx, tx)).params())];
    if (operation.claim !== undefined) {
      items.push(asDelete(entities.claim.delete({ key: operation.claim.key }).where((attributes, { eq }) => eq(attributes.tx, tx)).params()));
    }
    return items;
  });
  const unlocks = locked.map((operation) => [unlockHead(store, operation, tx)]);
  for (const pass of [undo, unlocks]) {
    await runBounded(
      chunkGroups(pass).map((chunk) => async () => {
        const outcome = await transactWrite(store, chunk);
        if (!outcome.committed) await applyOneByOne(store, chunk);
      }),
      CONCURRENCY,
    );
  }
  await finish(store, tx, "ABORTED");
  return "aborted";
}

/** Finishes a committed transaction from its log, reading staged bodies from the version items. */
async function rollForward(store: Store, tx: string, logged: ReadonlyArray<LoggedOperation>): Promise<void> {
  const heads = await readHeads(store, logged);
  const pending = logged.filter((operation) => heads.get(`${operation.resourceType}/${operation.id}`)?.lock === tx);
  const operations: PlannedOperation[] = [];
  for (const operation of pending) {
    const { resourceType, id, newVid: vid } = operation;
    const { data } = await withRetries(() => store.service.entities.version.get({ resourceType, id, vid }).go({ ...SDK_ERRORS, consistent: true }));
    if (data === null) throw new FhirError("exception", `Staged version ${vid} of ${resourceType}/${id} of transaction ${tx} is missing.`);
    operations.push({ ...operation, body: bodyFieldsOf(data) as PlannedOperation["body"] });
  }
  await apply(store, tx, operations);
}

/**
 * Brings one transaction to an end state if it can be: a committed one is applied, a PENDING
 * one past its lease is aborted and undone, a finished one has its leftovers cleaned up.
 * Returns "pending" for a transaction still within its lease.
 */
export async function settleTransaction(store: Store, tx: string): Promise<"pending" | "settled"> {
  const entities = store.service.entities;
  const { data: record } = await withRetries(() => entities.txRecord.get({ tx }).go({ ...SDK_ERRORS, consistent: true }));
  if (record === null) {
    await withRetries(() => entities.txOpen.delete({ tx }).go(SDK_ERRORS));
    return "settled";
  }
  if (record.status === "PENDING" && record.expiresAt > store.now().getTime()) return "pending";

  const operations = await readLog(store, tx);
  if (record.status === "COMMITTED" || record.status === "APPLIED") await rollForward(store, tx, operations);
  else await abort(store, tx, operations);
  return "settled";
}

/** Settles every open transaction; run at start-up and by the recovery command. */
export async function recoverTransactions(store: Store): Promise<{ settled: number; pending: number }> {
  const { data } = await withRetries(() => store.service.entities.txOpen.query.primary({}).go({ ...SDK_ERRORS, pages: "all", consistent: true }));
  const counts = { settled: 0, pending: 0 };
  for (const open of data) counts[await settleTransaction(store, open.tx)]++;
  return counts;
}

export { OperationError };
