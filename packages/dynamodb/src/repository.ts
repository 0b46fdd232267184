import type { Resource } from "fhir/r4";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { FhirError, type SearchQuery } from "@flint/core";
import {
  OperationError,
  type CreateOptions,
  type DeleteOptions,
  type DeleteResult,
  type FhirRepository,
  type HistoryPage,
  type HistoryQuery,
  type OperationResult,
  type SearchPage,
  type StoredResource,
  type StoredVersion,
  type UpdateOptions,
  type UpdateResult,
  type WriteOperation,
  storedResource,
} from "@flint/repository";
import { loadBody } from "./bodies.ts";
import { createService, SDK_ERRORS } from "./entities.ts";
import { readHistory, type VersionItem } from "./history.ts";
import { readHeads } from "./plan.ts";
import { recoverTransactions } from "./protocol.ts";
import { reindexTable, type ReindexReport } from "./reindex.ts";
import { isTransientError, transientError, withRetries } from "./retry.ts";
import { DEFAULT_SEARCH_LIMITS, runSearch, type SearchLimits } from "./search.ts";
import type { Store } from "./store.ts";
import { runTransaction } from "./transaction.ts";
import { TxStatusReader, visibleVersion } from "./visibility.ts";

export interface DynamoDbRepositoryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Clock for `lastUpdated` and transaction leases; injectable for tests. */
  now?: () => Date;
  /** How long a multi-step transaction may stay uncommitted before others may abort it (ms). */
  transactionLeaseMs?: number;
  /** Limits on the work of one search request; the defaults suit a Lambda with a 29 s API timeout. */
  searchLimits?: Partial<SearchLimits>;
}

/** Default lease of a multi-step transaction: ample for a 3,000-entry bundle. */
export const DEFAULT_TRANSACTION_LEASE_MS = 120_000;

/**
 * FHIR repository on one DynamoDB table through ElectroDB.
 *
 * A write that fits one `TransactWriteItems` replaces the `CUR` head on the condition that its
 * version is still the one read, adds the new version and updates the index in that call.
 * Larger writes, such as a transaction bundle of thousands of entries, go through the
 * multi-step protocol in `protocol.ts`, which keeps them atomic for every reader.
 */
export class DynamoDbRepository implements FhirRepository {
  readonly #store: Store;
  readonly #searchLimits: SearchLimits;

  constructor(options: DynamoDbRepositoryOptions) {
    this.#store = {
      client: options.client,
      tableName: options.tableName,
      service: createService(options.client, options.tableName),
      now: options.now ?? (() => new Date()),
      leaseMs: options.transactionLeaseMs ?? DEFAULT_TRANSACTION_LEASE_MS,
    };
    this.#searchLimits = { ...DEFAULT_SEARCH_LIMITS, ...options.searchLimits };
  }

  create(resource: Resource & { id: string }, options: CreateOptions = {}): Promise<StoredResource> {
    return guard(() => this.#create(resource, options));
  }

  async #create(resource: Resource & { id: string }, options: CreateOptions): Promise<StoredResource> {
    const operation: WriteOperation = { kind: "create", resourceType: resource.resourceType, id: resource.id, resource, method: options.method ?? "POST" };
    if (options.source !== undefined) operation.source = options.source;
    const [result] = await this.#single(operation);
    return result!.version as StoredResource;
  }

  read(resourceType: string, id: string): Promise<StoredResource> {
    return guard(() => this.#read(resourceType, id));
  }

  async #read(resourceType: string, id: string): Promise<StoredResource> {
    const heads = await readHeads(this.#store, [{ resourceType, id }]);
    const visible = await visibleVersion(this.#store, heads.get(`${resourceType}/${id}`), new TxStatusReader(this.#store));
    if (visible === undefined) throw new FhirError("not-found", `${resourceType}/${id} was not found.`);
    if (visible.deleted) throw new FhirError("deleted", `${resourceType}/${id} was deleted in version ${visible.vid}.`);

    const json = await loadBody(this.#store, resourceType, id, visible);
    const { vid: versionId, lastUpdated } = visible;
    return storedResource({ resourceType, id, versionId, lastUpdated, method: "PUT", deleted: false, json });
  }

  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion> {
    return guard(() => this.#vread(resourceType, id, versionId));
  }

  async #vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion> {
    const { data } = await withRetries(() =>
      this.#store.service.entities.version.get({ resourceType, id, vid: versionId }).go({ ...SDK_ERRORS, consistent: true }),
    );
    if (data === null || !(await new TxStatusReader(this.#store).isCommitted(data.tx))) {
      throw new FhirError("not-found", `${resourceType}/${id} has no version ${versionId}.`);
    }
    return this.#toStoredVersion(data);
  }

  update(resource: Resource & { id: string }, options: UpdateOptions = {}): Promise<UpdateResult> {
    return guard(() => this.#update(resource, options));
  }

  async #update(resource: Resource & { id: string }, options: UpdateOptions): Promise<UpdateResult> {
    const operation: WriteOperation = { kind: "update", resourceType: resource.resourceType, id: resource.id, resource, method: options.method ?? "PUT" };
    if (options.source !== undefined) operation.source = options.source;
    if (options.ifMatch !== undefined) operation.ifMatch = options.ifMatch;
    const [result] = await this.#single(operation);
    return { version: result!.version as StoredResource, created: result!.created };
  }

  delete(resourceType: string, id: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    return guard(() => this.#delete(resourceType, id, options));
  }

  async #delete(resourceType: string, id: string, options: DeleteOptions): Promise<DeleteResult> {
    const operation: WriteOperation = { kind: "delete", resourceType, id, method: "DELETE" };
    if (options.ifMatch !== undefined) operation.ifMatch = options.ifMatch;
    const [result] = await this.#single(operation);
    return result!.version === undefined ? { deleted: result!.written } : { deleted: result!.written, version: result!.version };
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    const statuses = new TxStatusReader(this.#store);
    return guard(() => readHistory(this.#store.service, this.#store.client, query, (item) => this.#toStoredVersion(item), (item) => statuses.isCommitted(item.tx)));
  }

  transaction(operations: readonly WriteOperation[]): Promise<OperationResult[]> {
    return guard(() => runTransaction(this.#store, operations));
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return guard(() => runSearch(this.#store, query, this.#searchLimits));
  }

  /** Rebuilds every resource's index items from its body (see `reindexTable`). */
  reindex(): Promise<ReindexReport> {
    return guard(() => reindexTable(this.#store));
  }

  /** Finishes or undoes multi-step transactions left open by a crashed process. */
  recover(): Promise<{ settled: number; pending: number }> {
    return guard(() => recoverTransactions(this.#store));
  }

  async close(): Promise<void> {}

  /** Runs one operation as a transaction and turns its failure into the matching FhirError. */
  async #single(operation: WriteOperation): Promise<OperationResult[]> {
    try {
      return await runTransaction(this.#store, [operation]);
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      const kind = error.reason === "version" ? "precondition-failed" : "conflict";
      throw new FhirError(kind, error.message, { cause: error });
    }
  }

  async #toStoredVersion(item: VersionItem): Promise<StoredVersion> {
    const version: StoredVersion = {
      resourceType: item.resourceType,
      id: item.id,
      versionId: item.vid,
      lastUpdated: item.lastUpdated,
      method: item.method,
      deleted: item.deleted,
    };
    if (!item.deleted) {
      version.json = await loadBody(this.#store, item.resourceType, item.id, item);
      version.resource = JSON.parse(version.json) as Resource;
    }
    return version;
  }
}

/**
 * Runs one repository call and turns a throttling or transient fault that remains after the
 * SDK's own retries into a `transient` FhirError, for which the API returns 503 with Retry-After.
 */
async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof FhirError) && isTransientError(error)) throw transientError(error);
    throw error;
  }
}
