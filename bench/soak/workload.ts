import { randomUUID } from "node:crypto";
import { pick, seededRandom } from "../search-latency/stats.ts";
import { exchange, NoResponse, parseLocation, type Exchange } from "./http.ts";
import type { Pool, SoakType, Tracked } from "./pool.ts";
import type { Recorder } from "./recorder.ts";
import { changed, MRN_SYSTEM, OBSERVATION_YEAR, observation, organization, patient, VITAL_SIGNS } from "./resources.ts";

/** Shared state of the load phase, passed to every operation. */
export interface Load {
  origin: string;
  pool: Pool;
  recorder: Recorder;
  /** Aborted by the hard stop; every request carries it. */
  signal: AbortSignal;
}

type Operation = (load: Load, random: () => number) => Promise<void>;
type Json = Record<string, unknown>;

/** Operation mix in percent of the operations a client starts. An update also reads the resource first. */
const MIX: readonly [number, Operation][] = [
  [35, read],
  [25, search],
  [15, create],
  [15, update],
  [3, remove],
  [7, transaction],
];

/** Share of transaction Bundles that also update an existing Observation with `ifMatch`. */
const TRANSACTION_UPDATE_SHARE = 0.3;

/** Resources written before the load starts. */
export const SEED = { organizations: 2, patients: 200, observations: 300 };

/** Requests in flight at a time while seeding. */
const SEED_CONCURRENCY = 8;

/** Creates the seed resources and adds them to the pool; throws when any create fails. */
export async function seed(load: Load): Promise<void> {
  const random = seededRandom(1);
  const organizations: string[] = [];
  for (let index = 1; index <= SEED.organizations; index += 1) {
    organizations.push((await seedOne(load, "Organization", organization(index))).id);
  }
  await inParallel(SEED.patients, () => seedOne(load, "Patient", patient(random, pick(random, organizations))));
  await inParallel(SEED.observations, () => {
    const subject = load.pool.pick("Patient", random)!;
    return seedOne(load, "Observation", observation(random, `Patient/${subject.id}`));
  });
}

async function seedOne(load: Load, type: SoakType, content: Json): Promise<Tracked> {
  const tracked = await createResource(load, "seed create", type, content, false);
  if (tracked === undefined) throw new Error(`Seeding failed: a ${type} create did not return 201 with a Location and an ETag.`);
  return tracked;
}

async function inParallel(count: number, task: () => Promise<unknown>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, count) }, worker));
}

/** Runs one client: picks operations from MIX with its own seeded generator until the hard stop. */
export async function runClient(load: Load, index: number): Promise<void> {
  const random = seededRandom(1_000 + index);
  const total = MIX.reduce((sum, [weight]) => sum + weight, 0);
  while (!load.signal.aborted) {
    let roll = random() * total;
    const [, operation] = MIX.find(([weight]) => (roll -= weight) < 0) ?? MIX[0]!;
    await operation(load, random);
  }
}

/**
 * Sends one request and records its status and latency under `operation`. Returns undefined
 * when no response arrived, after counting it as aborted (hard stop) or as `noResponse`.
 */
async function timed(load: Load, operation: string, expected: readonly number[], send: () => Promise<Exchange>): Promise<Exchange | undefined> {
  const started = performance.now();
  try {
    const result = await send();
    load.recorder.record(operation, result.status, performance.now() - started, expected);
    return result;
  } catch (error) {
    if (!(error instanceof NoResponse)) throw error;
    if (error.aborted) load.recorder.aborted += 1;
    else load.recorder.record(operation, undefined, performance.now() - started, expected);
    return undefined;
  }
}

function randomClinicalType(random: () => number): "Patient" | "Observation" {
  return random() < 0.5 ? "Patient" : "Observation";
}

async function read(load: Load, random: () => number): Promise<void> {
  const target = load.pool.pick(randomClinicalType(random), random);
  if (target === undefined) return;
  // 410 happens when a delete of the same resource finishes first.
  await timed(load, "read", [410], () => exchange(load.origin, "GET", `/${target.type}/${target.id}`, { signal: load.signal }));
}

async function search(load: Load, random: () => number): Promise<void> {
  const kind = Math.floor(random() * 3);
  let operation: string;
  let path: string;
  if (kind === 0) {
    const target = load.pool.pick("Patient", random);
    const identifier = (target?.last.content?.identifier as { value: string }[] | undefined)?.[0]?.value;
    if (identifier === undefined) return;
    operation = "search identifier";
    path = `/Patient?identifier=${encodeURIComponent(`${MRN_SYSTEM}|${identifier}`)}&_count=10`;
  } else if (kind === 1) {
    const target = load.pool.pick("Patient", random);
    if (target === undefined) return;
    operation = "search patient+code";
    path = `/Observation?patient=Patient/${target.id}&code=${encodeURIComponent(`http://loinc.org|${pick(random, VITAL_SIGNS).code}`)}&_count=20`;
  } else {
    const month = 1 + Math.floor(random() * 12);
    const end = month === 12 ? `${OBSERVATION_YEAR + 1}-01-01` : `${OBSERVATION_YEAR}-${String(month + 1).padStart(2, "0")}-01`;
    operation = "search date range";
    path = `/Observation?date=ge${OBSERVATION_YEAR}-${String(month).padStart(2, "0")}-01&date=lt${end}&_count=20`;
  }
  await timed(load, operation, [], () => exchange(load.origin, "GET", path, { signal: load.signal }));
}

async function create(load: Load, random: () => number): Promise<void> {
  if (randomClinicalType(random) === "Patient") {
    const owner = load.pool.pick("Organization", random);
    await createResource(load, "create", "Patient", patient(random, owner?.id), true);
    return;
  }
  const subject = load.pool.pick("Patient", random);
  if (subject === undefined) return;
  await createResource(load, "create", "Observation", observation(random, `Patient/${subject.id}`), true);
}

/** POSTs `content` and adds the new resource to the pool; returns undefined unless the response was 201 with a Location and an ETag. */
async function createResource(load: Load, operation: string, type: SoakType, content: Json, touchedByClients: boolean): Promise<Tracked | undefined> {
  const result = await timed(load, operation, [], () => exchange(load.origin, "POST", `/${type}`, { body: content, signal: load.signal }));
  if (result?.status !== 201) return undefined;
  const location = parseLocation(result.location);
  if (location === undefined || result.version === undefined) {
    load.pool.findings.push({ problem: "create returned 201 without a Location or an ETag", resource: type });
    return undefined;
  }
  return load.pool.add(type, location.id, { version: result.version, content: { ...content, id: location.id } }, touchedByClients);
}

/** Reads a resource, changes it and writes it back with `If-Match` of the version read. */
async function update(load: Load, random: () => number): Promise<void> {
  const target = load.pool.pick(randomClinicalType(random), random);
  if (target === undefined) return;
  const current = await timed(load, "read before update", [410], () => exchange(load.origin, "GET", `/${target.type}/${target.id}`, { signal: load.signal }));
  if (current?.status !== 200 || current.version === undefined || typeof current.body !== "object") return;

  const readVersion = current.version;
  const content = changed(current.body as Json, random);
  // 412: another client updated the resource after this one read it. 409: the store gave up
  // retrying against concurrent writes to the same resource and tells the client to retry.
  const result = await timed(load, "update", [409, 412], () =>
    exchange(load.origin, "PUT", `/${target.type}/${target.id}`, { body: content, ifMatch: readVersion, signal: load.signal }),
  );
  if (result === undefined) {
    target.uncertain = true;
    return;
  }
  if (result.status === 201) load.pool.findings.push({ problem: `update with If-Match of version ${readVersion} created the resource`, resource: `${target.type}/${target.id}` });
  if (result.status !== 200 && result.status !== 201) return;
  noteVersionedWrite(load, target, readVersion, result.version, content);
}

/** Records a successful update that carried `If-Match: readVersion`, which must have made version readVersion + 1. */
function noteVersionedWrite(load: Load, target: Tracked, readVersion: number, version: number | undefined, content: Json): void {
  if (version !== readVersion + 1) {
    load.pool.findings.push({ problem: `update with If-Match of version ${readVersion} returned version ${version ?? "none"}`, resource: `${target.type}/${target.id}` });
    target.uncertain = true;
    if (version === undefined) return;
  }
  load.pool.noteWrite(target, { version, content });
}

async function remove(load: Load, random: () => number): Promise<void> {
  const target = load.pool.pick(random() < 0.67 ? "Observation" : "Patient", random);
  if (target === undefined) return;
  load.pool.retire(target);
  // 409: as for update, concurrent writes to the same resource outlasted the store's retries.
  const result = await timed(load, "delete", [409], () => exchange(load.origin, "DELETE", `/${target.type}/${target.id}`, { signal: load.signal }));
  if (result === undefined) {
    target.uncertain = true;
    return;
  }
  if (result.status !== 200 && result.status !== 204) return;
  if (result.version === undefined) {
    load.pool.findings.push({ problem: "delete of an existing resource returned no ETag", resource: `${target.type}/${target.id}` });
    target.uncertain = true;
    return;
  }
  load.pool.noteWrite(target, { version: result.version, content: undefined });
}

/**
 * Posts a transaction Bundle of 3 to 10 entries: a new Patient with a `urn:uuid:` fullUrl and
 * Observations that reference it. Some Bundles also update an existing Observation with
 * `ifMatch`. That fails the whole Bundle with 409 or 412 when another client updated it first.
 */
async function transaction(load: Load, random: () => number): Promise<void> {
  const size = 3 + Math.floor(random() * 8);
  const patientUrl = `urn:uuid:${randomUUID()}`;
  const newPatient = patient(random, load.pool.pick("Organization", random)?.id);
  const newObservations = Array.from({ length: size - 1 }, () => observation(random, patientUrl));

  const existing = random() < TRANSACTION_UPDATE_SHARE ? load.pool.pick("Observation", random) : undefined;
  const updateTarget = existing !== undefined && !existing.uncertain && existing.last.content !== undefined ? existing : undefined;
  const updateVersion = updateTarget?.last.version;
  const updateContent = updateTarget === undefined ? undefined : changed(updateTarget.last.content!, random);
  if (updateTarget !== undefined) newObservations.pop();

  const entries: Json[] = [
    { fullUrl: patientUrl, resource: newPatient, request: { method: "POST", url: "Patient" } },
    ...newObservations.map((resource) => ({ fullUrl: `urn:uuid:${randomUUID()}`, resource, request: { method: "POST", url: "Observation" } })),
  ];
  if (updateTarget !== undefined) {
    entries.push({ resource: updateContent, request: { method: "PUT", url: `Observation/${updateTarget.id}`, ifMatch: `W/"${updateVersion}"` } });
  }
  const bundle = { resourceType: "Bundle", type: "transaction", entry: entries };

  const result = await timed(load, "transaction", [409, 412], () => exchange(load.origin, "POST", "", { body: bundle, signal: load.signal }));
  if (result === undefined) {
    if (updateTarget !== undefined) updateTarget.uncertain = true;
    return;
  }
  if (result.status !== 200) return;

  const responses = ((result.body as { entry?: { response?: { location?: string; etag?: string } }[] } | undefined)?.entry ?? []).map((entry) => entry.response);
  const created = responses.map((response) => parseLocation(response?.location));
  const patientId = created[0]?.id;
  if (responses.length !== entries.length || created.some((location) => location?.version === undefined) || patientId === undefined) {
    load.pool.findings.push({ problem: "transaction response lacks a location with a version for some entry", resource: "Bundle" });
    return;
  }
  load.pool.add("Patient", patientId, { version: created[0]!.version!, content: { ...newPatient, id: patientId } }, true);
  newObservations.forEach((resource, index) => {
    const location = created[index + 1]!;
    const stored = { ...resource, id: location.id, subject: { reference: `Patient/${patientId}` } };
    load.pool.add("Observation", location.id, { version: location.version!, content: stored }, true);
  });
  if (updateTarget !== undefined) {
    noteVersionedWrite(load, updateTarget, updateVersion!, created[entries.length - 1]!.version, { ...updateContent!, id: updateTarget.id });
  }
}
