import type { Resource } from "fhir/r4";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { FhirError } from "@flint/core";
import type {
  CreateOptions,
  DeleteOptions,
  DeleteResult,
  FhirRepository,
  HistoryPage,
  HistoryQuery,
  StoredResource,
  StoredVersion,
  UpdateOptions,
  UpdateResult,
  VersionMethod,
} from "@flint/repository";
import { stampVersion } from "@flint/repository";
import { decodeBody, encodeBody, INLINE_BODY_BYTES, joinBody, splitBody } from "./body.ts";
import { createService, HISTORY_SHARDS, type FlintService } from "./entities.ts";
import { readHistory } from "./history.ts";
import { isTransientError, withRetries } from "./retry.ts";

export interface DynamoDbRepositoryOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Clock for `lastUpdated`; injectable for tests. */
  now?: () => Date;
}

/** Attempts of a read-modify-write cycle without `If-Match` before giving up with 409. */
const MAX_WRITE_ATTEMPTS = 5;

/** Head item as read before a write. */
interface Head {
  vid: number;
  lastUpdated: string;
  deleted: boolean;
  body?: Uint8Array;
  bodyToken?: string;
  bodyParts?: number;
}

/** Location of a version's body: inline, or in slices under a token. */
type BodyFields = { body: Uint8Array } | { bodyToken: string; bodyParts: number };

/**
 * FHIR repository on one DynamoDB table through ElectroDB.
 *
 * Each write is one `TransactWriteItems`. It replaces the `CUR` item on the condition that its
 * version is still the one read, or that it does not exist yet. It also adds the new immutable
 * version item and stamps the previous version with `supersededAt`. A writer that loses the race
 * re-reads and tries again, unless the client pinned the version with `If-Match`.
 */
export class DynamoDbRepository implements FhirRepository {
  readonly #service: FlintService;
  readonly #client: DynamoDBDocumentClient;
  readonly #now: () => Date;

  constructor(options: DynamoDbRepositoryOptions) {
    this.#client = options.client;
    this.#service = createService(options.client, options.tableName);
    this.#now = options.now ?? (() => new Date());
  }

  async create(resource: Resource & { id: string }, options: CreateOptions = {}): Promise<StoredResource> {
    const lastUpdated = this.#now().toISOString();
    const outcome = await this.#commit(resource, options.source, undefined, lastUpdated, options.method ?? "POST");
    if (outcome === "lost") {
      throw new FhirError("conflict", `${resource.resourceType}/${resource.id} already exists.`);
    }
    return outcome as StoredResource;
  }

  async read(resourceType: string, id: string): Promise<StoredResource> {
    const head = await this.#readHead(resourceType, id);
    if (head === undefined) throw notFound(resourceType, id);
    if (head.deleted) {
      throw new FhirError("deleted", `${resourceType}/${id} was deleted in version ${head.vid}.`);
    }

    const json = await this.#loadBody(resourceType, id, head);
    return {
      resourceType,
      id,
      versionId: head.vid,
      lastUpdated: head.lastUpdated,
      method: "PUT",
      deleted: false,
      resource: JSON.parse(json) as Resource,
      json,
    };
  }

  async vread(resourceType: string, id: string, versionId: number): Promise<StoredVersion> {
    const { data } = await withRetries(() =>
      this.#service.entities.version.get({ resourceType, id, vid: versionId }).go({ consistent: true }),
    );
    if (data === null) {
      throw new FhirError("not-found", `${resourceType}/${id} has no version ${versionId}.`);
    }
    return this.#toStoredVersion(data, true);
  }

  async update(resource: Resource & { id: string }, options: UpdateOptions = {}): Promise<UpdateResult> {
    const { resourceType, id } = resource;

    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const head = await this.#readHead(resourceType, id);
      if (options.ifMatch !== undefined && head?.vid !== options.ifMatch) {
        throw versionMismatch(resourceType, id, options.ifMatch, head?.vid);
      }

      const lastUpdated = nextTimestamp(this.#now(), head?.lastUpdated);
      const outcome = await this.#commit(resource, options.source, head, lastUpdated, options.method ?? "PUT");
      if (outcome !== "lost") return { version: outcome as StoredResource, created: head === undefined || head.deleted };
      if (options.ifMatch !== undefined) throw versionMismatch(resourceType, id, options.ifMatch, undefined);
      await backoff(attempt);
    }

    throw new FhirError("conflict", `${resourceType}/${id} is being changed by other requests; retry the update.`);
  }

  async delete(resourceType: string, id: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const head = await this.#readHead(resourceType, id);
      if (options.ifMatch !== undefined && head?.vid !== options.ifMatch) {
        throw versionMismatch(resourceType, id, options.ifMatch, head?.vid);
      }
      if (head === undefined) return { deleted: false };
      if (head.deleted) {
        return { deleted: false, version: tombstone(resourceType, id, head.vid, head.lastUpdated) };
      }

      const lastUpdated = nextTimestamp(this.#now(), head.lastUpdated);
      const outcome = await this.#commit({ resourceType, id } as Resource & { id: string }, undefined, head, lastUpdated, "DELETE");
      if (outcome !== "lost") return { deleted: true, version: outcome };
      if (options.ifMatch !== undefined) throw versionMismatch(resourceType, id, options.ifMatch, undefined);
      await backoff(attempt);
    }

    throw new FhirError("conflict", `${resourceType}/${id} is being changed by other requests; retry the delete.`);
  }

  history(query: HistoryQuery): Promise<HistoryPage> {
    return readHistory(this.#service, this.#client, query, (item) => this.#toStoredVersion(item, true));
  }

  async close(): Promise<void> {}

  async #readHead(resourceType: string, id: string): Promise<Head | undefined> {
    const { data } = await withRetries(() =>
      this.#service.entities.resource.get({ resourceType, id }).go({ consistent: true }),
    );
    return data ?? undefined;
  }

  /**
   * Commits the version after `head` (or version 1 when there is none) in one transaction.
   * Returns "lost" when the head changed since it was read.
   */
  async #commit(
    resource: Resource & { id: string },
    source: string | undefined,
    head: Head | undefined,
    lastUpdated: string,
    method: VersionMethod,
  ): Promise<StoredVersion | "lost"> {
    const { resourceType, id } = resource;
    const vid = (head?.vid ?? 0) + 1;
    const deleted = method === "DELETE";
    const stored = deleted ? undefined : stampVersion(resource, source, vid, lastUpdated);
    const bodyFields = stored === undefined ? {} : await this.#storeBody(resourceType, id, stored.json);
    const shard = historyShard(id);

    const state = { resourceType, id, vid, lastUpdated, deleted, ...bodyFields };
    const transaction = this.#service.transaction;
    const token = crypto.randomUUID();
    const result: { canceled: boolean; data: ReadonlyArray<{ code: string }> } = await withRetries(() =>
      head === undefined
        ? transaction
            .write(({ resource: current, version }) => [
              current.create(state).commit(),
              version.create({ ...state, method, shard }).commit(),
            ])
            .go({ token })
        : (transaction
            .write(({ resource: current, version }) => [
              current
                .put(state)
                .where((attributes, { eq }) => eq(attributes.vid, head.vid))
                .commit(),
              version.create({ ...state, method, shard }).commit(),
              version.patch({ resourceType, id, vid: head.vid }).set({ supersededAt: lastUpdated }).commit(),
            ])
            .go({ token }) as Promise<{ canceled: boolean; data: ReadonlyArray<{ code: string }> }>),
    );

    if (result.canceled) {
      const reasons = result.data.map((entry) => entry.code);
      if (reasons[0] === "ConditionalCheckFailed" || reasons.includes("TransactionConflict")) return "lost";
      throw new FhirError("exception", `Transaction for ${resourceType}/${id} was cancelled: ${reasons.join(", ")}.`);
    }

    const committed: StoredVersion = { resourceType, id, versionId: vid, lastUpdated, method, deleted };
    if (stored !== undefined) Object.assign(committed, stored);
    return committed;
  }

  /** Encodes a body and, when it is too large to inline, writes its slices under a new token. */
  async #storeBody(resourceType: string, id: string, json: string): Promise<BodyFields> {
    const encoded = encodeBody(json);
    if (encoded.byteLength <= INLINE_BODY_BYTES) return { body: encoded };

    const token = crypto.randomUUID().slice(0, 8);
    const parts = splitBody(encoded);
    await Promise.all(
      parts.map((data, part) =>
        withRetries(() => this.#service.entities.bodyPart.put({ resourceType, id, token, part, data }).go()),
      ),
    );
    return { bodyToken: token, bodyParts: parts.length };
  }

  /** Returns the stored JSON text of a version, joining its slices when it has them. */
  async #loadBody(resourceType: string, id: string, fields: Partial<Head>): Promise<string> {
    if (fields.body !== undefined) return decodeBody(fields.body);
    if (fields.bodyToken === undefined || fields.bodyParts === undefined) {
      throw new FhirError("exception", `${resourceType}/${id} has no stored body.`);
    }

    const token = fields.bodyToken;
    const { data } = await withRetries(() =>
      this.#service.entities.bodyPart.query.primary({ resourceType, id, token }).go({ pages: "all", consistent: true }),
    );
    if (data.length !== fields.bodyParts) {
      throw new FhirError("exception", `${resourceType}/${id} has ${data.length} of ${fields.bodyParts} body parts.`);
    }
    data.sort((a, b) => a.part - b.part);
    return decodeBody(joinBody(data.map((entry) => entry.data as Uint8Array)));
  }

  async #toStoredVersion(
    item: {
      resourceType: string;
      id: string;
      vid: number;
      lastUpdated: string;
      method: VersionMethod;
      deleted: boolean;
      body?: unknown;
      bodyToken?: string | undefined;
      bodyParts?: number | undefined;
    },
    withBody: boolean,
  ): Promise<StoredVersion> {
    const version: StoredVersion = {
      resourceType: item.resourceType,
      id: item.id,
      versionId: item.vid,
      lastUpdated: item.lastUpdated,
      method: item.method,
      deleted: item.deleted,
    };
    if (withBody && !item.deleted) {
      version.json = await this.#loadBody(item.resourceType, item.id, {
        body: item.body as Uint8Array | undefined,
        bodyToken: item.bodyToken,
        bodyParts: item.bodyParts,
      } as Partial<Head>);
      version.resource = JSON.parse(version.json) as Resource;
    }
    return version;
  }
}

/**
 * Returns a commit time later than the previous version's, so that versions of one resource
 * are ordered by `lastUpdated` even when clocks of two writers disagree by a few milliseconds.
 */
function nextTimestamp(now: Date, previous: string | undefined): string {
  if (previous === undefined) return now.toISOString();
  const floor = Date.parse(previous) + 1;
  return new Date(Math.max(now.getTime(), floor)).toISOString();
}

/** Spreads history items over `HISTORY_SHARDS` partitions by a hash of the id (FNV-1a). */
export function historyShard(id: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index++) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % HISTORY_SHARDS;
}

function tombstone(resourceType: string, id: string, vid: number, lastUpdated: string): StoredVersion {
  return { resourceType, id, versionId: vid, lastUpdated, method: "DELETE", deleted: true };
}

function notFound(resourceType: string, id: string): FhirError {
  return new FhirError("not-found", `${resourceType}/${id} was not found.`);
}

function versionMismatch(resourceType: string, id: string, expected: number, actual: number | undefined): FhirError {
  const current = actual === undefined ? "does not exist" : `is at version ${actual}`;
  return new FhirError(
    "precondition-failed",
    `If-Match expected version ${expected} of ${resourceType}/${id}, but the resource ${current}.`,
  );
}

/** Waits a short, jittered, growing delay before the next attempt of a write cycle. */
function backoff(attempt: number): Promise<void> {
  const delay = Math.random() * 10 * 2 ** attempt;
  return new Promise((resolve) => setTimeout(resolve, delay));
}

export { isTransientError };
