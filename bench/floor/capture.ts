import type { createApp } from "@flint/api";
import { seededRandom } from "../search-latency/stats.ts";
import { observation, patient, VITAL_SIGNS } from "../soak/resources.ts";

/** Origin of in-process request URLs. No request leaves the process. */
const IN_PROCESS_ORIGIN = "http://flint.floor";

/** Data seeded before the measurements, and the requests that each interaction sends. */
export interface Workload {
  /** Patients that the read interaction cycles through. */
  readIds: string[];
  /** Search paths (after `/fhir`) that the search interaction cycles through. */
  searchPaths: string[];
  /** Body of every create, and of every update with `active` set by the version number. */
  patientBody: Record<string, unknown>;
  /** Patients at version 1 that the Flint update load takes one per connection. */
  flintUpdateIds: string[];
  /** Patients at version 1 that the floor update loads take one per worker: twice the connections. */
  floorUpdateIds: string[];
}

/** Calls that the repository made for each interaction, as recorded by the store's wrapper. */
export interface Captured<Call> {
  /** One recording per id of `readIds`, in the same order. */
  reads: Call[][];
  /** One create of `patientBody`, and the id it got. */
  create: { id: string; calls: Call[] };
  /** The update of that Patient from version 1 to 2, which sets `active` to false. */
  update: Call[];
  /** One recording per path of `searchPaths`, in the same order. */
  searches: Call[][];
}

type App = ReturnType<typeof createApp>;

/** Sends one request to the app in this process and returns the status, the `ETag` version and the body's id. */
async function send(app: App, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await app.fetch(
    new Request(`${IN_PROCESS_ORIGIN}/fhir${path}`, {
      method,
      headers: { accept: "application/fhir+json", ...(body === undefined ? {} : { "content-type": "application/fhir+json" }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  const parsed = (await response.json().catch(() => undefined)) as { id?: string } | undefined;
  return { status: response.status, id: parsed?.id };
}

async function create(app: App, resource: Record<string, unknown>): Promise<string> {
  const { status, id } = await send(app, "POST", `/${resource.resourceType as string}`, resource);
  if (status !== 201 || id === undefined) throw new Error(`Seeding failed: POST /${resource.resourceType as string} returned ${status}.`);
  return id;
}

/** Runs `work` on every element with at most `concurrency` in flight. */
async function forEachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Returns the Patient body of the create and update loads, the same for every request apart from `active` in updates. */
export function benchPatient(): Record<string, unknown> {
  return {
    resourceType: "Patient",
    identifier: [{ system: "urn:flint:floor:mrn", value: "floor-template" }],
    active: true,
    name: [{ family: "Floor", given: ["Bench"] }],
    gender: "female",
    birthDate: "1980-06-15",
  };
}

/**
 * Seeds `patients` Patients with `observationsPerPatient` vital-sign Observations each through
 * the app, then records the repository calls of each interaction once with `record`.
 */
export async function seedAndCapture<Call>(
  app: App,
  record: (work: () => Promise<unknown>) => Promise<Call[]>,
  options: { patients: number; observationsPerPatient: number; searches: number; connections: number },
): Promise<{ workload: Workload; captured: Captured<Call> }> {
  const random = seededRandom(11);
  const patientIds: string[] = [];
  await forEachLimited(
    Array.from({ length: options.patients }, () => patient(random, undefined)),
    8,
    async (body) => void patientIds.push(await create(app, body)),
  );
  const searchPairs: { patientId: string; code: string }[] = [];
  const observations = patientIds.flatMap((patientId) => Array.from({ length: options.observationsPerPatient }, () => ({ patientId, body: observation(random, `Patient/${patientId}`) })));
  await forEachLimited(observations, 8, async ({ patientId, body }) => {
    await create(app, body);
    const code = (body.code as { coding: { code: string }[] }).coding[0]!.code;
    if (searchPairs.length < options.searches && !searchPairs.some((pair) => pair.patientId === patientId)) searchPairs.push({ patientId, code });
  });

  const patientBody = benchPatient();
  const flintUpdateIds: string[] = [];
  const floorUpdateIds: string[] = [];
  for (let index = 0; index < options.connections; index++) flintUpdateIds.push(await create(app, patientBody));
  // Two floor operations replay updates, each with one Patient per worker.
  for (let index = 0; index < 2 * options.connections; index++) floorUpdateIds.push(await create(app, patientBody));

  const readIds = patientIds.slice(0, Math.min(200, patientIds.length));
  const searchPaths = searchPairs.map(({ patientId, code }) => `/Observation?patient=Patient/${patientId}&code=${encodeURIComponent(`http://loinc.org|${code}`)}`);
  if (searchPaths.length === 0) throw new Error(`No search paths: seed at least one Observation (codes ${VITAL_SIGNS.map((sign) => sign.code).join(", ")}).`);

  const reads: Call[][] = [];
  for (const id of readIds) reads.push(await recordExpecting(record, () => send(app, "GET", `/Patient/${id}`), 200, `GET /Patient/${id}`));
  let createdId = "";
  const createCalls = await recordExpecting(
    record,
    async () => {
      const result = await send(app, "POST", "/Patient", patientBody);
      createdId = result.id ?? "";
      return result;
    },
    201,
    "POST /Patient",
  );
  const update = await recordExpecting(record, () => send(app, "PUT", `/Patient/${createdId}`, { ...patientBody, id: createdId, active: false }, { "if-match": 'W/"1"' }), 200, "PUT /Patient/{id}");
  const searches: Call[][] = [];
  for (const path of searchPaths) searches.push(await recordExpecting(record, () => send(app, "GET", path), 200, "GET /Observation?patient=…&code=…"));

  return {
    workload: { readIds, searchPaths, patientBody, flintUpdateIds, floorUpdateIds },
    captured: { reads, create: { id: createdId, calls: createCalls }, update, searches },
  };
}

async function recordExpecting<Call>(
  record: (work: () => Promise<unknown>) => Promise<Call[]>,
  request: () => Promise<{ status: number }>,
  expected: number,
  label: string,
): Promise<Call[]> {
  let status = 0;
  const calls = await record(async () => void (status = (await request()).status));
  if (status !== expected) throw new Error(`Recording ${label} failed: the app returned ${status}, not ${expected}.`);
  return calls;
}
