import { createHash } from "node:crypto";
import type { Resource } from "fhir/r4";
import { FhirError, matchesQuery, type SearchQuery } from "@flint/core";
import { OperationError, stampVersion, type OperationResult, type StoredVersion, type WriteOperation } from "@flint/repository";
import { MAX_TRANSACT_ACTIONS, MAX_TRANSACT_BYTES, actionBytes, isConflictOnly, transactWrite, type TransactItem, type TransactOutcome } from "./actions.ts";
import { loadBody, storeBody } from "./bodies.ts";
import { indexKeys } from "./index-keys.ts";
import { directActionCount, directActions, readHeads, type PlannedClaim, type PlannedOperation, type Role } from "./plan.ts";
import { commitInSteps, settleTransaction } from "./protocol.ts";
import { transientError, withRetries } from "./retry.ts";
import type { HeadItem, Store } from "./store.ts";
import { TxStatusReader, visibleVersion } from "./visibility.ts";
import { SDK_ERRORS } from "./entities.ts";

/** Read-plan-commit cycles before a write that keeps losing races gives up with 409. */
const MAX_ATTEMPTS = 8;

/**
 * Commits operations all or nothing. Each cycle reads the heads, settles or waits out any
 * multi-step transaction holding one, plans every write against the versions read, and commits
 * in one `TransactWriteItems` when the writes fit, or through the multi-step protocol otherwise.
 * A cycle whose heads changed before the commit starts again, unless an operation pinned its
 * version with `ifMatch`.
 */
export async function runTransaction(store: Store, operations: readonly WriteOperation[]): Promise<OperationResult[]> {
  checkDistinct(operations);

  // Set while the last commit was cancelled only by concurrent transactions on its items.
  let busy = false;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    // A create needs an unused id, which its commit condition checks; reading the head first
    // only pays off once a commit has failed.
    const targets = attempt === 1 ? operations.filter((operation) => operation.kind !== "create") : operations;
    const heads = await readHeads(store, targets);
    if (await settleLocks(store, heads)) {
      await backoff(attempt);
      continue;
    }

    const { planned, results } = await plan(store, operations, heads);
    if (planned.length === 0) return results;

    const outcome = await commit(store, planned);
    if (outcome.committed) {
      for (const operation of planned) results[operation.index] = resultOf(operation);
      return results;
    }

    busy = outcome.reason === "busy";
    if (busy) {
      // No condition failed, so a pinned version may still match: plan again from fresh reads.
      await backoff(attempt);
      continue;
    }
    const failed = operations[outcome.operation]!;
    if (outcome.reason === "claim") {
      throw new OperationError(outcome.operation, "claimed", `Another request created a match for the conditional create of ${failed.resourceType} first.`);
    }
    if (failed.ifMatch !== undefined) {
      throw new OperationError(outcome.operation, "version", `${failed.resourceType}/${failed.id} changed while the write was being prepared.`);
    }
    await backoff(attempt);
  }
  if (busy) throw transientError(new Error("Every commit attempt was cancelled by concurrent transactions (TransactionConflict)."));
  throw new FhirError("conflict", "The resources are being changed by other requests; send the request again.");
}

function checkDistinct(operations: readonly WriteOperation[]): void {
  const seen = new Set<string>();
  operations.forEach((operation, index) => {
    const key = `${operation.resourceType}/${operation.id}`;
    if (seen.has(key)) throw new OperationError(index, "conflict", `${key} is the target of more than one operation.`);
    seen.add(key);
  });
}

/** Settles the transactions that hold any of the heads; returns true if one is still running. */
async function settleLocks(store: Store, heads: Map<string, HeadItem>): Promise<boolean> {
  const locks = new Set([...heads.values()].flatMap((head) => (head.lock === undefined ? [] : [head.lock])));
  let running = false;
  for (const tx of locks) if ((await settleTransaction(store, tx)) === "pending") running = true;
  return running || locks.size > 0;
}

async function plan(
  store: Store,
  operations: readonly WriteOperation[],
  heads: Map<string, HeadItem>,
): Promise<{ planned: PlannedOperation[]; results: OperationResult[] }> {
  const now = store.now();
  const planned: PlannedOperation[] = [];
  const results: OperationResult[] = [];

  for (const [index, operation] of operations.entries()) {
    const head = heads.get(`${operation.resourceType}/${operation.id}`);
    const live = head !== undefined && !head.deleted;
    if (operation.ifMatch !== undefined && head?.vid !== operation.ifMatch) {
      const current = head === undefined ? "does not exist" : `is at version ${head.vid}`;
      throw new OperationError(index, "version", `If-Match expected version ${operation.ifMatch} of ${operation.resourceType}/${operation.id}, but the resource ${current}.`);
    }
    if (operation.kind === "create" && head !== undefined) {
      throw new OperationError(index, "exists", `${operation.resourceType}/${operation.id} already exists.`);
    }
    if (operation.kind === "delete" && !live) {
      const existing = head === undefined ? undefined : tombstone(head);
      results[index] = existing === undefined ? { created: false, written: false } : { created: false, written: false, version: existing };
      continue;
    }

    const newVid = (head?.vid ?? 0) + 1;
    const lastUpdated = nextTimestamp(now, head?.lastUpdated);
    const deleted = operation.kind === "delete";
    const entry: PlannedOperation = {
      index,
      resourceType: operation.resourceType,
      id: operation.id,
      method: operation.method,
      placeholder: head === undefined,
      expectedVid: head?.vid ?? 0,
      newVid,
      lastUpdated,
      deleted,
      body: {},
      ixOld: head?.ix ?? [],
      ixNew: [],
      created: !live,
    };
    if (!deleted) {
      const resource = operation.resource;
      if (resource === undefined) throw new FhirError("exception", `Operation ${index} has no resource to store.`);
      const stamped = stampVersion(resource, operation.source, newVid, lastUpdated);
      entry.resource = stamped.resource;
      entry.json = stamped.json;
      entry.body = await storeBody(store, operation.resourceType, operation.id, stamped.json);
      entry.ixNew = indexKeys(stamped.resource as Resource & { id: string });
    }
    if (operation.conditional !== undefined) entry.claim = await planClaim(store, index, operation.conditional);
    planned.push(entry);
  }
  return { planned, results };
}

/**
 * Decides how a conditional create claims its criteria: a new claim, or the takeover of a claim
 * whose resource no longer matches. A claim whose resource still matches means a concurrent
 * request created a match after the caller searched.
 */
async function planClaim(store: Store, index: number, criteria: SearchQuery): Promise<PlannedClaim> {
  const resourceType = criteria.resourceTypes[0]!;
  const canonical = JSON.stringify(
    criteria.clauses
      .map((clause) => JSON.stringify(clause.kind === "parameter" ? { ...clause, values: [...clause.values].map((value) => JSON.stringify(value)).sort() } : clause))
      .sort(),
  );
  const key = `${resourceType}#${createHash("sha256").update(canonical).digest("base64url")}`;
  const { data } = await withRetries(() => store.service.entities.claim.get({ key }).go({ ...SDK_ERRORS, consistent: true }));
  if (data === null) return { key, criteria: canonical };

  const statuses = new TxStatusReader(store);
  const claimed = () => new OperationError(index, "claimed", `Another request created a match for the conditional create of ${resourceType} first.`);
  if (data.tx !== undefined && (await statuses.status(data.tx)) === "PENDING") throw claimed();

  const heads = await readHeads(store, [{ resourceType, id: data.rid }]);
  const visible = await visibleVersion(store, heads.get(`${resourceType}/${data.rid}`), statuses);
  if (visible !== undefined && !visible.deleted) {
    const resource = JSON.parse(await loadBody(store, resourceType, data.rid, visible)) as Resource;
    if (matchesQuery(resource, criteria.clauses)) throw claimed();
  }
  return { key, criteria: canonical, previousRid: data.rid };
}

/** `busy`: cancelled only by concurrent transactions on the same items, with every condition met. */
type CommitOutcome = { committed: true } | { committed: false; operation: number; reason: "head" | "claim" | "busy" };

async function commit(store: Store, planned: PlannedOperation[]): Promise<CommitOutcome> {
  // The count alone shows that a large Bundle does not fit. Building its tens of thousands of
  // actions through ElectroDB only to count them would waste CPU time, since staging builds its own.
  const count = planned.reduce((sum, operation) => sum + directActionCount(operation), 0);
  if (count > MAX_TRANSACT_ACTIONS) return commitInSteps(store, planned);

  const actions = planned.flatMap((operation) => directActions(store, operation).map((action) => ({ ...action, operation: operation.index })));
  const bytes = actions.reduce((sum, action) => sum + actionBytes(action.item), 0);
  if (actions.length > MAX_TRANSACT_ACTIONS || bytes > MAX_TRANSACT_BYTES) return commitInSteps(store, planned);

  const outcome = await transactWriteOrConfirm(store, planned, actions.map((action) => action.item));
  if (outcome.committed) return outcome;
  const at = outcome.reasons.findIndex((reason) => reason !== "None");
  const culprit = actions[at];
  const role: Role | undefined = culprit?.role;
  if (isConflictOnly(outcome.reasons)) return { committed: false, operation: planned[0]!.index, reason: "busy" };
  if (role === undefined || outcome.reasons.includes("TransactionConflict")) {
    return { committed: false, operation: culprit?.operation ?? planned[0]!.index, reason: "head" };
  }
  if (role === "claim") return { committed: false, operation: culprit!.operation, reason: "claim" };
  if (role === "head" || role === "version") return { committed: false, operation: culprit!.operation, reason: "head" };
  throw new FhirError("exception", `A write was cancelled on its ${role} item (${outcome.reasons[at]}).`);
}

/**
 * Sends the single-call commit. When it still fails with a transient fault after the retries
 * under its request token, the planned version items are read back. If they exist with the
 * planned `lastUpdated`, the commit was applied and only its response was lost, so the write
 * succeeded. Otherwise the fault is raised (503), and the write was not applied.
 */
async function transactWriteOrConfirm(store: Store, planned: PlannedOperation[], items: TransactItem[]): Promise<TransactOutcome> {
  try {
    return await transactWrite(store, items);
  } catch (error) {
    if (!(error instanceof FhirError && error.kind === "transient")) throw error;
    const versions = await Promise.all(
      planned.map(({ resourceType, id, newVid: vid }) => withRetries(() => store.service.entities.version.get({ resourceType, id, vid }).go({ ...SDK_ERRORS, consistent: true }))),
    ).catch(() => undefined);
    const applied = versions?.every(({ data }, index) => data !== null && data.tx === undefined && data.lastUpdated === planned[index]!.lastUpdated);
    if (applied === true) return { committed: true };
    throw error;
  }
}

function resultOf(operation: PlannedOperation): OperationResult {
  const version: StoredVersion = {
    resourceType: operation.resourceType,
    id: operation.id,
    versionId: operation.newVid,
    lastUpdated: operation.lastUpdated,
    method: operation.method,
    deleted: operation.deleted,
  };
  if (operation.resource !== undefined) version.resource = operation.resource;
  if (operation.json !== undefined) version.json = operation.json;
  return { version, created: operation.created && !operation.deleted, written: true };
}

function tombstone(head: HeadItem): StoredVersion {
  return { resourceType: head.resourceType, id: head.id, versionId: head.vid, lastUpdated: head.lastUpdated, method: "DELETE", deleted: true };
}

/**
 * Returns a commit time later than the previous version's, so that versions of one resource
 * are ordered by `lastUpdated` even when clocks of two writers disagree by a few milliseconds.
 */
function nextTimestamp(now: Date, previous: string | undefined): string {
  if (previous === undefined) return now.toISOString();
  return new Date(Math.max(now.getTime(), Date.parse(previous) + 1)).toISOString();
}

/** Waits a short, jittered, growing delay before the next cycle. */
function backoff(attempt: number): Promise<void> {
  const delay = Math.random() * 10 * 2 ** Math.min(attempt, 7);
  return new Promise((resolve) => setTimeout(resolve, delay));
}
