import { expect } from "vitest";
import type { Parameters as PropertyParameters } from "fast-check";
import { checkTable } from "@flint/dynamodb";
import { checkDatabase } from "@flint/postgres";
import { BASE, createTestApp, type FhirResult } from "../support/app.ts";
import { createTestRepository } from "../setup/dynamodb.ts";
import { createPostgresTestRepository, TEST_STORE } from "../setup/stores.ts";

export type Api = Awaited<ReturnType<typeof createTestApp>>;

/** One version as instance history lists it. */
export interface HistoryVersion {
  version: number;
  deleted: boolean;
  /** The stored resource; absent for a deletion. */
  resource?: any;
}

/**
 * Starts the app on a fresh repository of the run's store and returns it with `findings()`,
 * which lists the store's inconsistencies: those of `checkTable` over the whole DynamoDB table,
 * or of `checkDatabase` over the PostgreSQL schema.
 */
export async function startStore(): Promise<Api & { findings: () => Promise<unknown[]> }> {
  if (TEST_STORE === "dynamodb") {
    const { repository, client, tableName } = await createTestRepository();
    return { ...(await createTestApp({ repository })), findings: () => checkTable(client, tableName) };
  }
  const { repository, client, schema } = await createPostgresTestRepository();
  return { ...(await createTestApp({ repository })), findings: () => checkDatabase(client, schema) };
}

/**
 * Settings of every property. Shrinking is off: a failure depends on how the parallel requests
 * interleaved, which a replay does not reproduce, so the first failing case is the report.
 */
export function runs(numRuns: number): PropertyParameters<unknown> {
  return { numRuns, endOnFailure: true };
}

let startedRuns = 0;

/** Returns a new prefix for the ids and values of one property run, so that runs sharing a store never touch the same resources. */
export function nextRunId(label: string): string {
  return `${label}-${process.pid}-${++startedRuns}`;
}

/** Reads the version number from a `W/"n"` ETag, or undefined when the header is absent. */
export function etagVersion(result: FhirResult): number | undefined {
  const match = /^W\/"(\d+)"$/.exec(result.headers.get("etag") ?? "");
  return match === null ? undefined : Number(match[1]);
}

/** Returns every version of a resource, oldest first, from `GET [type]/[id]/_history`. */
export async function readHistory(api: Api, type: string, id: string): Promise<HistoryVersion[]> {
  const result = await api.fhir("GET", `/${type}/${id}/_history?_count=1000`);
  expect(result.status, `history of ${type}/${id}`).toBe(200);
  const entries: any[] = result.json.entry ?? [];
  return entries
    .map((entry) => ({
      version: Number(/^W\/"(\d+)"$/.exec(entry.response.etag)?.[1]),
      deleted: entry.request.method === "DELETE",
      ...(entry.resource === undefined ? {} : { resource: entry.resource }),
    }))
    .reverse();
}

/** Asserts that history runs 1, 2, … with each number once, and that a body's meta.versionId matches its entry. */
export function expectContiguous(history: HistoryVersion[], label: string): void {
  expect(
    history.map((entry) => entry.version),
    `${label}: history versions`,
  ).toEqual(history.map((_, index) => index + 1));
  for (const entry of history) {
    if (entry.resource !== undefined) expect(entry.resource.meta.versionId, `${label}: body of version ${entry.version}`).toBe(String(entry.version));
  }
}

/** Asserts that a read returns the last version in `history`: 404 without one, 410 after a deletion, else the same body. */
export async function expectReadMatchesHistory(api: Api, type: string, id: string, history: HistoryVersion[], label: string): Promise<void> {
  const current = await api.fhir("GET", `/${type}/${id}`);
  const last = history.at(-1);
  if (last === undefined) {
    expect(current.status, `${label}: read of ${id}`).toBe(404);
    return;
  }
  expect(current.status, `${label}: read of ${id}`).toBe(last.deleted ? 410 : 200);
  if (!last.deleted) expect(current.json, `${label}: read of ${id}`).toEqual(last.resource);
}

/** Strips `meta`, which the server sets, leaving the content a client controls. */
export function content(resource: any): unknown {
  const { meta: _meta, ...rest } = resource;
  return rest;
}

/** Ids of the matches of a type search, following `next` links. */
export async function searchIds(api: Api, type: string, query: string): Promise<string[]> {
  const ids: string[] = [];
  let path: string | undefined = `/${type}?${query}`;
  while (path !== undefined) {
    const result: FhirResult = await api.fhir("GET", path);
    expect(result.status, `GET ${path}: ${result.text}`).toBe(200);
    for (const entry of result.json.entry ?? []) if (entry.search?.mode === "match") ids.push(entry.resource.id);
    const next: string | undefined = result.json.link?.find((link: any) => link.relation === "next")?.url;
    path = next?.slice(BASE.length);
  }
  return ids;
}
