import type { Resource } from "fhir/r4";
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
import type { SqlClient } from "./client.ts";
import { guard } from "./errors.ts";
import { readHistory, toStoredVersion, VERSION_COLUMNS, type VersionRow } from "./history.ts";
import { migrate, tablesOf, type Tables } from "./schema.ts";
import { DEFAULT_SEARCH_LIMITS, runSearch, type SearchLimits } from "./search/search.ts";
import { isoInstant } from "./sql.ts";
import { runTransaction, type WriteContext } from "./write.ts";

export interface PostgresRepositoryOptions {
  client: SqlClient;
  /** Schema that contains Flint's tables; "flint" by default. */
  schema?: string;
  /** Clock for `lastUpdated`; injectable for tests. */
  now?: () => Date;
  /** When true, `close()` also closes `client`. */
  ownsClient?: boolean;
  /** Limits on the work of one search request; the defaults are the DynamoDB store's. */
  searchLimits?: Partial<SearchLimits>;
}

/** Schema used when the options name none. */
export const DEFAULT_SCHEMA = "flint";

/**
 * Applies the schema migrations, then opens a repository on them. Several processes may call it
 * at the same time on one database.
 */
export async function createPostgresRepository(options: PostgresRepositoryOptions): Promise<PostgresRepository> {
  await guard(() => migrate(options.client, options.schema ?? DEFAULT_SCHEMA));
  return new PostgresRepository(options);
}

/**
 * FHIR repository on PostgreSQL. Every write and every `transaction()` call is one SQL
 * transaction whose row writes are conditional on the versions read, so two writers that read
 * the same version can never both commit. Resources are stored as the JSON text received, in
 * `text` columns, and read back unchanged. The README of this package describes the tables.
 */
export class PostgresRepository implements FhirRepository {
  readonly #client: SqlClient;
  readonly #tables: Tables;
  readonly #write: WriteContext;
  readonly #searchLimits: SearchLimits;
  readonly #ownsClient: boolean;

  /** Opens the repository on a schema that `migrate` has prepared; `createPostgresRepository` does both. */
  constructor(options: PostgresRepositoryOptions) {
    this.#client = options.client;
    this.#tables = tablesOf(options.schema ?? DEFAULT_SCHEMA);
    this.#write = { client: options.client, tables: this.#tables, now: options.now ?? (() => new Date()) };
    this.#searchLimits = { ...DEFAULT_SEARCH_LIMITS, ...options.searchLimits };
    this.#ownsClient = options.ownsClient ?? false;
  }

  /** Creates version 1 under the id the caller assigned (R4 http.html#create, and http.html#update for update-as-create). */
  create(resource: Resource & { id: string }, options: CreateOptions = {}): Promise<StoredResource> {
    return guard(async () => {
      const operation: WriteOperation = { kind: "create", resourceType: resource.resourceType, id: resource.id, resource, method: options.method ?? "POST" };
      if (options.source !== undefined) operation.source = options.source;
      const [result] = await this.#single(operation);
      return result!.version as StoredResource;
    });
  }

  /** Returns the current version (R4 http.html#read). */
  read(resourceType: string, id: string): Promise<StoredResource> {
    return guard(async () => {
      const [row] = await this.#client.query<{ vid: number; last_updated: string; deleted: boolean; content: string | null }>(
        `SELECT r.vid, ${isoInstant("r.last_updated")} AS last_updated, r.deleted, r.content FROM ${this.#tables.resource} r WHERE r.type = $1 AND r.id = $2`,
        [resourceType, id],
      );
      if (row === undefined) throw new FhirError("not-found", `${resourceType}/${id} was not found.`);
      if (row.deleted || row.content === null) throw new FhirError("deleted", `${resourceType}/${id} was deleted in version ${row.vid}.`);
      return storedResource({ resourceType, id, versionId: row.vid, lastUpdated: row.last_updated, method: "PUT", deleted: false, json: row.content });
    });
  }

  /** Returns one version, which may be a deletion (R4 http.html#vread). */
  vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion> {
    return guard(async () => {
      const [row] = await this.#client.query<VersionRow>(
        `SELECT ${VERSION_COLUMNS} FROM ${this.#tables.version} v WHERE v.type = $1 AND v.id = $2 AND v.vid = $3::integer`,
        [resourceType, id, versionId],
      );
      if (row === undefined) throw new FhirError("not-found", `${resourceType}/${id} has no version ${versionId}.`);
      return toStoredVersion(row);
    });
  }

  /** Writes the next version, creating or reviving the resource when needed (R4 http.html#update). */
  update(resource: Resource & { id: string }, options: UpdateOptions = {}): Promise<UpdateResult> {
    return guard(async () => {
      const operation: WriteOperation = { kind: "update", resourceType: resource.resourceType, id: resource.id, resource, method: options.method ?? "PUT" };
      if (options.source !== undefined) operation.source = options.source;
      if (options.ifMatch !== undefined) operation.ifMatch = options.ifMatch;
      const [result] = await this.#single(operation);
      return { version: result!.version as StoredResource, created: result!.created };
    });
  }

  /** Writes a deletion version unless the resource is absent or already deleted (R4 http.html#delete). */
  delete(resourceType: string, id: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    return guard(async () => {
      const operation: WriteOperation = { kind: "delete", resourceType, id, method: "DELETE" };
      if (options.ifMatch !== undefined) operation.ifMatch = options.ifMatch;
      const [result] = await this.#single(operation);
      return result!.version === undefined ? { deleted: result!.written } : { deleted: result!.written, version: result!.version };
    });
  }

  /** Lists versions newest first at instance, type or system level (R4 http.html#history). */
  history(query: HistoryQuery): Promise<HistoryPage> {
    return guard(() => readHistory(this.#client, this.#tables, query));
  }

  /** Commits all operations or none, in one SQL transaction, whatever their number (R4 http.html#transaction). */
  transaction(operations: readonly WriteOperation[]): Promise<OperationResult[]> {
    return guard(() => runTransaction(this.#write, operations));
  }

  /** Returns current resources that match every clause (R4 search.html). */
  search(query: SearchQuery): Promise<SearchPage> {
    return guard(() => runSearch(this.#client, this.#tables, query, this.#searchLimits));
  }

  /** Closes the SQL client when the repository owns it. */
  async close(): Promise<void> {
    if (this.#ownsClient) await this.#client.close();
  }

  /** Runs one operation as a transaction and turns its failure into the matching FhirError. */
  async #single(operation: WriteOperation): Promise<OperationResult[]> {
    try {
      return await runTransaction(this.#write, [operation]);
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      const kind = error.reason === "version" ? "precondition-failed" : "conflict";
      throw new FhirError(kind, error.message, { cause: error });
    }
  }
}
