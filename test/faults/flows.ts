/** Write flows and checks shared by the fault tests; the flows reach the store only through HTTP. */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { expect } from "vitest";
import { checkTable, DEFAULT_TRANSACTION_LEASE_MS, DynamoDbRepository } from "@flint/dynamodb";
import { createTestRepository } from "../setup/dynamodb.ts";
import { createTestApp, type FhirResult } from "../support/app.ts";
import { faultyClient, type Fault } from "../support/faults.ts";

export type Fhir = Awaited<ReturnType<typeof createTestApp>>["fhir"];

/**
 * One write flow: `setup` prepares what it needs through a client without faults, `send` makes
 * the request, and `state` reports "old" (not applied), "new" (applied once) or what else it saw.
 */
export interface Flow {
  name: string;
  success: number[];
  setup(fhir: Fhir, label: string): Promise<void>;
  send(fhir: Fhir, label: string): Promise<FhirResult>;
  state(fhir: Fhir, label: string): Promise<string>;
}

/** Number of versions of a resource, or 0 when it does not exist. */
async function versionCount(fhir: Fhir, path: string): Promise<number> {
  const history = await fhir("GET", `${path}/_history`);
  if (history.status === 404) return 0;
  if (history.status !== 200) throw new Error(`History of ${path} failed with ${history.status}: ${history.text.slice(0, 200)}`);
  return history.json.entry.length;
}

async function matches(fhir: Fhir, query: string): Promise<number> {
  const found = await fhir("GET", `/Patient?${query}`);
  return found.json.entry?.length ?? 0;
}

/** Tells "old" or "new" from a list of per-resource observations, or reports a mixture. */
function summarize(states: string[]): string {
  const distinct = [...new Set(states)];
  return distinct.length === 1 ? distinct[0]! : `mixed: ${states.join(", ")}`;
}

const LARGE = 40;

/** Index of the flow that needs the multi-step protocol. */
export const LARGE_FLOW = 5;

export const FLOWS: Flow[] = [
  {
    name: "create",
    success: [201],
    setup: async () => undefined,
    send: (fhir, label) => fhir("POST", "/Patient", { body: { resourceType: "Patient", identifier: [{ system: "urn:create", value: label }] } }),
    state: async (fhir, label) => ["old", "new"][await matches(fhir, `identifier=urn:create|${label}`)] ?? "duplicate",
  },
  {
    name: "pinned update",
    success: [200],
    setup: async (fhir, label) => void (await fhir("PUT", `/Patient/${label}`, { body: { resourceType: "Patient", id: label, active: true } })),
    send: (fhir, label) => fhir("PUT", `/Patient/${label}`, { headers: { "if-match": 'W/"1"' }, body: { resourceType: "Patient", id: label, active: false } }),
    state: async (fhir, label) => ["none", "old", "new"][await versionCount(fhir, `/Patient/${label}`)] ?? "extra version",
  },
  {
    name: "delete",
    success: [200, 204],
    setup: async (fhir, label) => void (await fhir("PUT", `/Patient/${label}`, { body: { resourceType: "Patient", id: label, active: true } })),
    send: (fhir, label) => fhir("DELETE", `/Patient/${label}`),
    state: async (fhir, label) => {
      const read = await fhir("GET", `/Patient/${label}`);
      const count = await versionCount(fhir, `/Patient/${label}`);
      if (read.status === 200 && count === 1) return "old";
      return read.status === 410 && count === 2 ? "new" : `read ${read.status}, ${count} versions`;
    },
  },
  {
    name: "conditional create",
    success: [201],
    setup: async () => undefined,
    send: (fhir, label) =>
      fhir("POST", "/Patient", {
        headers: { "if-none-exist": `identifier=urn:conditional|${label}` },
        body: { resourceType: "Patient", identifier: [{ system: "urn:conditional", value: label }] },
      }),
    state: async (fhir, label) => ["old", "new"][await matches(fhir, `identifier=urn:conditional|${label}`)] ?? "duplicate",
  },
  {
    name: "small transaction",
    success: [200],
    setup: async (fhir, label) => void (await fhir("PUT", `/Patient/${label}-kept`, { body: { resourceType: "Patient", id: `${label}-kept`, active: true } })),
    send: (fhir, label) =>
      fhir("POST", "", {
        body: {
          resourceType: "Bundle",
          type: "transaction",
          entry: [
            { resource: { resourceType: "Patient", id: `${label}-new`, active: true }, request: { method: "PUT", url: `Patient/${label}-new` } },
            { resource: { resourceType: "Patient", id: `${label}-kept`, active: false }, request: { method: "PUT", url: `Patient/${label}-kept`, ifMatch: 'W/"1"' } },
          ],
        },
      }),
    state: async (fhir, label) => {
      const created = await versionCount(fhir, `/Patient/${label}-new`);
      const updated = await versionCount(fhir, `/Patient/${label}-kept`);
      if (created === 0 && updated === 1) return "old";
      return created === 1 && updated === 2 ? "new" : `${created} and ${updated} versions`;
    },
  },
  {
    name: "large transaction",
    success: [200],
    setup: async () => undefined,
    send: (fhir, label) =>
      fhir("POST", "", {
        body: {
          resourceType: "Bundle",
          type: "transaction",
          entry: Array.from({ length: LARGE }, (_, index) => ({
            resource: { resourceType: "Basic", id: `${label}-${index}`, code: { text: label } },
            request: { method: "PUT", url: `Basic/${label}-${index}` },
          })),
        },
      }),
    state: async (fhir, label) => {
      const counts = await Promise.all(Array.from({ length: LARGE }, (_, index) => versionCount(fhir, `/Basic/${label}-${index}`)));
      return summarize(counts.map((count) => ["old", "new"][count] ?? `${count} versions`));
    },
  },
];

/**
 * Checks that the table is consistent and that reads, history and search agree. Every Patient
 * and Basic that search finds reads at its latest history version. Every resource in the type
 * history that search does not find reads as deleted.
 */
export async function expectAgreement(fhir: Fhir, client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  expect(await checkTable(client, tableName), "table findings").toEqual([]);
  await expectReadsAgree(fhir);
}

/** Checks that reads, history and search agree, as `expectAgreement` describes, on any store. */
export async function expectReadsAgree(fhir: Fhir): Promise<void> {
  for (const type of ["Patient", "Basic"]) {
    const found = await fhir("GET", `/${type}?_count=1000`);
    const live = new Map<string, string>((found.json.entry ?? []).map((entry: any) => [entry.resource.id, entry.resource.meta.versionId]));
    for (const [id, version] of live) {
      const read = await fhir("GET", `/${type}/${id}`);
      expect(read.json.meta.versionId, `${type}/${id} read and search`).toBe(version);
      const history = await fhir("GET", `/${type}/${id}/_history`);
      expect(history.json.entry[0].resource.meta.versionId, `${type}/${id} history and search`).toBe(version);
    }
    const all = await fhir("GET", `/${type}/_history?_count=1000`);
    for (const entry of all.json.entry ?? []) {
      const id = new RegExp(`/${type}/([^/]+)`).exec(entry.fullUrl)?.[1];
      if (id === undefined || live.has(id)) continue;
      expect((await fhir("GET", `/${type}/${id}`)).status, `${type}/${id} missing from search`).toBe(410);
    }
  }
}

/** Runs pending recovery with a clock past every lease, as a restart after the lease would. */
export async function recoverLater(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const later = () => new Date(Date.now() + DEFAULT_TRANSACTION_LEASE_MS + 60_000);
  await new DynamoDbRepository({ client, tableName, now: later }).recover();
}

/** Builds the app on a client that injects `decide`'s faults, next to a clean app on the same table. */
export async function faultyApp(decide: (call: { command: string; number: number; write: number | undefined }) => Fault | undefined) {
  const { client, tableName } = await createTestRepository();
  const faulty = faultyClient(client, decide);
  const clean = await createTestApp({ repository: new DynamoDbRepository({ client, tableName }) });
  const broken = await createTestApp({ repository: new DynamoDbRepository({ client: faulty.client, tableName }) });
  return { client, tableName, clean: clean.fhir, broken: broken.fhir, counts: faulty.counts };
}

