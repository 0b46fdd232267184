import type { Resource } from "fhir/r4";
import type { SearchQuery } from "@flint/core";

/** The HTTP method that produced a version, as reported in history entries. */
export type VersionMethod = "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * One version of a resource as stored.
 *
 * `resource` carries `id`, `meta.versionId` and `meta.lastUpdated` as the store assigned them.
 * A deletion is a version too: it has `deleted: true` and no `resource`.
 */
export interface StoredVersion {
  resourceType: string;
  id: string;
  versionId: number;
  /** Instant of the commit, ISO 8601 in UTC with milliseconds (`2026-12-04T10:15:04.112Z`). */
  lastUpdated: string;
  method: VersionMethod;
  deleted: boolean;
  resource?: Resource;
  /** The stored resource as minified JSON text, with decimals exactly as the client wrote them. */
  json?: string;
}

/** A version with a resource body, as returned by reads and by writes other than delete. */
export interface StoredResource extends StoredVersion {
  deleted: false;
  resource: Resource;
  json: string;
}

/** Source text of a resource being written, beside its parsed value. */
export interface WriteSource {
  /**
   * Minified JSON text of the resource as the client sent it. When present the store keeps
   * every value as written (for example the precision of `1.50`), replacing only `id` and `meta`.
   */
  source?: string;
}

export interface CreateOptions extends WriteSource {
  /** Method recorded in history: `POST` for create, `PUT` for update-as-create. */
  method?: "POST" | "PUT";
}

export interface UpdateOptions extends WriteSource {
  /**
   * Version the client read (`If-Match`). The update fails with `precondition-failed` unless
   * it is still the current version. Without it the store still conditions its write on the
   * version it read, and repeats the read-write cycle when another writer got in first.
   */
  ifMatch?: number;
  method?: "PUT" | "PATCH";
}

export interface UpdateResult {
  version: StoredResource;
  /** True when no live resource had that id, so the update created or revived it. */
  created: boolean;
}

export interface DeleteOptions {
  ifMatch?: number;
}

export interface DeleteResult {
  /** The tombstone version written by this call, or the existing one if already deleted. */
  version?: StoredVersion;
  /** False when the resource never existed or was already deleted, so nothing was written. */
  deleted: boolean;
}

/** Scope and filters of a history request (R4 http.html#history). */
export interface HistoryQuery {
  resourceType?: string;
  /** Requires `resourceType`. */
  id?: string;
  /** Only versions committed at or after this instant (`_since`). */
  since?: string;
  /**
   * Only versions that were current at some point within `[start, end)` (`_at`), as ISO
   * instants in UTC.
   */
  at?: { start: string; end: string };
  /** Page size: at most this many entries. */
  count: number;
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string;
}

export interface HistoryPage {
  /** Newest first, deletions included. */
  entries: StoredVersion[];
  /** Cursor for the next (older) page, absent on the last page. */
  next?: string;
}

/**
 * One write of a transaction. `create` needs an unused id; `update` writes the next version and
 * creates or revives the resource when needed; `delete` writes a deletion unless the resource is
 * absent or already deleted.
 */
export interface WriteOperation {
  kind: "create" | "update" | "delete";
  resourceType: string;
  id: string;
  /** The resource for `create` and `update`, with `id` set. */
  resource?: Resource & { id: string };
  /** Its JSON text as received, to store values exactly as written (see `WriteSource`). */
  source?: string;
  method: VersionMethod;
  /** Version that must be current (`If-Match`); the operation fails with `precondition-failed` otherwise. */
  ifMatch?: number;
  /**
   * Criteria of a conditional create. The store records a claim on them in the same commit, so
   * that of two concurrent creates with identical criteria only one commits; the other fails
   * with `OperationError` reason `claimed` and should search again.
   */
  conditional?: SearchQuery;
}

export interface OperationResult {
  /** The version written, or for a delete of a deleted resource its existing deletion. */
  version?: StoredVersion;
  /** True when a create, or an update of an absent or deleted resource, made it live. */
  created: boolean;
  /** False when nothing was written (a delete of an absent or deleted resource). */
  written: boolean;
}

/** Reason one operation of a transaction could not commit. */
export type OperationFailure = "version" | "exists" | "claimed" | "conflict";

/** Failure of one transaction operation, naming the operation by index and the reason. */
export class OperationError extends Error {
  override name = "OperationError";
  constructor(
    readonly operation: number,
    readonly reason: OperationFailure,
    message: string,
  ) {
    super(message);
  }
}

/** One page of search matches, in id order. */
export interface SearchPage {
  entries: StoredResource[];
  /** Cursor of the next page, absent on the last one. */
  next?: string;
  /** Cursor of the previous page, absent on the first one. */
  previous?: string;
}

/**
 * Storage port of Flint: the operations the REST layer needs, free of any database client.
 *
 * Every write is conditional on the version it read, so two concurrent writers can never both
 * commit against the same version and history has no gaps. Failures are raised as `FhirError`
 * from `@flint/core` (`not-found`, `deleted`, `conflict`, `precondition-failed`, `transient`).
 */
export interface FhirRepository {
  /**
   * Stores version 1 of a resource under `resource.id`, which the caller assigns.
   * Raises `conflict` when a resource, live or deleted, already has that id.
   */
  create(resource: Resource & { id: string }, options?: CreateOptions): Promise<StoredResource>;

  /** Returns the current version, or raises `not-found`, or `deleted` for a deleted resource. */
  read(resourceType: string, id: string): Promise<StoredResource>;

  /** Returns one version, which may be a deletion (then `deleted` is true and `resource` absent). */
  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion>;

  /** Writes the next version, creating the resource when it does not exist or was deleted. */
  update(resource: Resource & { id: string }, options?: UpdateOptions): Promise<UpdateResult>;

  /** Writes a deletion version unless the resource is already deleted or never existed. */
  delete(resourceType: string, id: string, options?: DeleteOptions): Promise<DeleteResult>;

  /** Lists versions newest first at system, type or instance level. */
  history(query: HistoryQuery): Promise<HistoryPage>;

  /**
   * Commits all operations or none (R4 http.html#trules), whatever their number. Raises
   * `OperationError` for the first operation that cannot commit, `FhirError` otherwise.
   */
  transaction(operations: readonly WriteOperation[]): Promise<OperationResult[]>;

  /**
   * Returns current resources matching every clause, reading the latest committed state, so a
   * search right after a write finds it.
   */
  search(query: SearchQuery): Promise<SearchPage>;

  /** Releases connections and timers. */
  close(): Promise<void>;
}
