import type { Resource } from "fhir/r4";
import type { VersionMethod } from "@flint/repository";
import { asDelete, asPut, asUpdate, type TransactItem } from "./actions.ts";
import { indexItemWrite } from "./index-keys.ts";
import { withRetries } from "./retry.ts";
import { historyShard } from "./shard.ts";
import type { BodyFields, HeadItem, Store } from "./store.ts";
import { SDK_ERRORS } from "./entities.ts";

/** Claim written with a conditional create; `previousRid` is the resource of a stale claim being taken over. */
export interface PlannedClaim {
  key: string;
  criteria: string;
  previousRid?: string;
}

/**
 * One write, fully decided: which version it replaces, what it stores and which index items
 * change. `expectedVid` 0 with `placeholder` true means the resource has no head item yet.
 */
export interface PlannedOperation {
  /** Position in the caller's list of operations. */
  index: number;
  resourceType: string;
  id: string;
  method: VersionMethod;
  placeholder: boolean;
  expectedVid: number;
  newVid: number;
  lastUpdated: string;
  deleted: boolean;
  body: BodyFields | Record<string, never>;
  json?: string;
  resource?: Resource;
  ixOld: string[];
  ixNew: string[];
  claim?: PlannedClaim;
  created: boolean;
}

export function addedKeys(operation: PlannedOperation): string[] {
  const old = new Set(operation.ixOld);
  return operation.ixNew.filter((key) => !old.has(key));
}

export function removedKeys(operation: PlannedOperation): string[] {
  const next = new Set(operation.ixNew);
  return operation.ixOld.filter((key) => !next.has(key));
}

/** Builds the head item as it is after the operation commits. */
function finalHead(operation: PlannedOperation) {
  const { resourceType, id, newVid: vid, lastUpdated, deleted } = operation;
  return { resourceType, id, vid, lastUpdated, deleted, ix: operation.ixNew, ...operation.body };
}

/**
 * Builds the item writes of one operation for a single `TransactWriteItems`: the head,
 * conditioned on the version read and on no transaction holding it; the new version; the
 * previous version's `supersededAt`; the index changes; and the claim. `roles` names each action
 * so a cancellation can be traced to its cause.
 */
export function directActions(store: Store, operation: PlannedOperation): Array<{ item: TransactItem; role: Role }> {
  const entities = store.service.entities;
  const { id } = operation;
  const head = finalHead(operation);
  const actions: Array<{ item: TransactItem; role: Role }> = [];

  const headWrite = operation.placeholder
    ? entities.resource.create(head).params()
    : entities.resource
        .put(head)
        .where((attributes, { eq, notExists }) => `${eq(attributes.vid, operation.expectedVid)} AND ${notExists(attributes.lock)}`)
        .params();
  actions.push({ item: asPut(headWrite), role: "head" });
  actions.push({ item: versionPut(store, operation), role: "version" });
  if (operation.expectedVid > 0) actions.push({ item: supersede(store, operation), role: "previous" });
  for (const entry of addedKeys(operation)) actions.push({ item: indexItemWrite(store, entry, id, "put"), role: "index" });
  for (const entry of removedKeys(operation)) actions.push({ item: indexItemWrite(store, entry, id, "delete"), role: "index" });
  if (operation.claim !== undefined) actions.push({ item: claimPut(store, operation, operation.claim), role: "claim" });
  return actions;
}

/** Counts the actions `directActions` builds for an operation, without building them. */
export function directActionCount(operation: PlannedOperation): number {
  const previous = operation.expectedVid > 0 ? 1 : 0;
  const claim = operation.claim === undefined ? 0 : 1;
  return 2 + previous + addedKeys(operation).length + removedKeys(operation).length + claim;
}

export type Role = "head" | "version" | "previous" | "index" | "claim" | "guard";

/** Creates the immutable version item, tagged with the transaction that writes it, if any. */
export function versionPut(store: Store, operation: PlannedOperation, tx?: string): TransactItem {
  const { resourceType, id, newVid: vid, lastUpdated, deleted, method } = operation;
  const item = { resourceType, id, vid, lastUpdated, deleted, method, shard: historyShard(id), ...operation.body };
  return asPut(store.service.entities.version.create(tx === undefined ? item : { ...item, tx }).params());
}

/** Stamps the previous version with the time it stopped being current. */
export function supersede(store: Store, operation: PlannedOperation): TransactItem {
  const { resourceType, id, expectedVid: vid, lastUpdated } = operation;
  return asUpdate(store.service.entities.version.patch({ resourceType, id, vid }).set({ supersededAt: lastUpdated }).params());
}

/** Writes the claim of a conditional create, taking over a stale claim only if it is unchanged. */
export function claimPut(store: Store, operation: PlannedOperation, claim: PlannedClaim, tx?: string): TransactItem {
  const item = { key: claim.key, rid: operation.id, criteria: claim.criteria, ...(tx === undefined ? {} : { tx }) };
  const claims = store.service.entities.claim;
  if (claim.previousRid === undefined) return asPut(claims.create(item).params());
  const previous = claim.previousRid;
  return asPut(claims.put(item).where((attributes, { eq }) => eq(attributes.rid, previous)).params());
}

/** Locks the head for a multi-step transaction, or creates a placeholder head that is locked. */
export function lockHead(store: Store, operation: PlannedOperation, tx: string): TransactItem {
  const { resourceType, id, newVid, lastUpdated } = operation;
  const resources = store.service.entities.resource;
  if (operation.placeholder) {
    return asPut(resources.create({ resourceType, id, vid: 0, lastUpdated, deleted: false, lock: tx, lockVid: newVid }).params());
  }
  return asUpdate(
    resources
      .update({ resourceType, id })
      .set({ lock: tx, lockVid: newVid })
      .where((attributes, { eq, notExists }) => `${eq(attributes.vid, operation.expectedVid)} AND ${notExists(attributes.lock)}`)
      .params(),
  );
}

/** Replaces a locked head with the committed version, releasing the lock. */
export function promoteHead(store: Store, operation: PlannedOperation, tx: string): TransactItem {
  return asPut(
    store.service.entities.resource
      .put(finalHead(operation))
      .where((attributes, { eq }) => eq(attributes.lock, tx))
      .params(),
  );
}

/** Releases a lock of an aborted transaction, deleting the head if it was a placeholder. */
export function unlockHead(store: Store, operation: { resourceType: string; id: string; placeholder: boolean }, tx: string): TransactItem {
  const { resourceType, id } = operation;
  const resources = store.service.entities.resource;
  if (operation.placeholder) {
    return asDelete(resources.delete({ resourceType, id }).where((attributes, { eq }) => eq(attributes.lock, tx)).params());
  }
  return asUpdate(
    resources
      .update({ resourceType, id })
      .remove(["lock", "lockVid"])
      .where((attributes, { eq }) => eq(attributes.lock, tx))
      .params(),
  );
}

/**
 * Reads the state items of several resources in one consistent batch, or with one `GetItem` for
 * a single resource, which costs the same capacity and less work on both sides.
 */
export async function readHeads(store: Store, keys: ReadonlyArray<{ resourceType: string; id: string }>): Promise<Map<string, HeadItem>> {
  const heads = new Map<string, HeadItem>();
  if (keys.length === 0) return heads;
  if (keys.length === 1) {
    const { resourceType, id } = keys[0]!;
    const { data } = await withRetries(() => store.service.entities.resource.get({ resourceType, id }).go({ ...SDK_ERRORS, consistent: true }));
    if (data !== null) heads.set(`${resourceType}/${id}`, data as HeadItem);
    return heads;
  }
  let pending = [...keys];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const batch = pending;
    const { data, unprocessed } = await withRetries(() => store.service.entities.resource.get(batch).go({ ...SDK_ERRORS, consistent: true, concurrency: 4 }));
    for (const item of data) heads.set(`${item.resourceType}/${item.id}`, item as HeadItem);
    pending = unprocessed as Array<{ resourceType: string; id: string }>;
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** Math.min(attempt, 6)));
  }
  return heads;
}
