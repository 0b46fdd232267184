import { withRetries } from "./retry.ts";
import type { HeadItem, Store } from "./store.ts";
import { SDK_ERRORS } from "./entities.ts";

export type TxStatus = "PENDING" | "COMMITTED" | "APPLIED" | "ABORTED";

/**
 * Reads the status of multi-step transactions once per request. A version written by one is
 * visible exactly when its status is COMMITTED or APPLIED; the status item is the commit point.
 */
export class TxStatusReader {
  readonly #store: Store;
  readonly #known = new Map<string, Promise<TxStatus | undefined>>();

  constructor(store: Store) {
    this.#store = store;
  }

  status(tx: string): Promise<TxStatus | undefined> {
    let status = this.#known.get(tx);
    if (status === undefined) {
      status = withRetries(() => this.#store.service.entities.txRecord.get({ tx }).go({ ...SDK_ERRORS, consistent: true })).then(
        ({ data }) => data?.status,
      );
      this.#known.set(tx, status);
    }
    return status;
  }

  async isCommitted(tx: string | undefined): Promise<boolean> {
    if (tx === undefined) return true;
    const status = await this.status(tx);
    return status === "COMMITTED" || status === "APPLIED";
  }
}

/** Fields of the version visible to readers: enough to respond, and to load the body. */
export interface VisibleVersion {
  vid: number;
  lastUpdated: string;
  deleted: boolean;
  body?: unknown;
  bodyToken?: string | undefined;
  bodyParts?: number | undefined;
}

/**
 * Returns the version of a resource that readers see. A head locked by a committed transaction
 * shows that transaction's version (not yet copied to the head); a head locked by a pending or
 * aborted one shows its own, older state. A placeholder head (version 0) shows nothing.
 */
export async function visibleVersion(store: Store, head: HeadItem | undefined, statuses: TxStatusReader): Promise<VisibleVersion | undefined> {
  if (head === undefined) return undefined;
  if (head.lock !== undefined && head.lockVid !== undefined && (await statuses.isCommitted(head.lock))) {
    const { data } = await withRetries(() =>
      store.service.entities.version.get({ resourceType: head.resourceType, id: head.id, vid: head.lockVid! }).go({ ...SDK_ERRORS, consistent: true }),
    );
    if (data !== null) return data;
  }
  return head.vid === 0 ? undefined : head;
}
