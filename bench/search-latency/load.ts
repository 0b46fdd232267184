import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Send } from "./transport.ts";

/** Bundles posted at the same time, as in test/fixtures/synthea-load.int.test.ts. */
const LOAD_CONCURRENCY = 2;

interface RequestEntry {
  fullUrl?: string;
  resource: Record<string, any> & { resourceType: string };
}

interface ResponseEntry {
  response?: { status?: string; location?: string };
}

/** A loaded Patient with the values its queries are built from. */
export interface LoadedPatient {
  id: string;
  /** The Patient's `fullUrl` in its fixture Bundle, which stays the same from load to load. */
  fullUrl: string;
  identifiers: Array<{ system: string; value: string }>;
  /** LOINC code of each of the patient's Observations, one element per Observation. */
  observationCodes: string[];
  /** `period.start` of each of the patient's Encounters, as written in the fixture. */
  encounterStarts: string[];
}

/** Query inputs taken from the fixtures, with the server ids that the load assigned. */
export interface Catalogue {
  patients: LoadedPatient[];
  /** SNOMED CT code of each Condition, one element per Condition. */
  conditionCodes: string[];
  /** `effectiveDateTime` of each vital-signs Observation. */
  vitalSignDates: string[];
}

export interface LoadResult {
  bundles: number;
  entries: number;
  /** Resources created, by resource type. */
  created: Map<string, number>;
  supportSeconds: number;
  patientSeconds: number;
  catalogue: Catalogue;
}

/**
 * Posts the support batches (hospitals and practitioners) and then the first `patientCount`
 * patient transactions, in file-name order, and collects query inputs from what was created.
 * Throws when a Bundle or any of its entries fails, because later figures would then describe
 * a partial load.
 */
export async function loadSynthea(send: Send, folder: string, patientCount: number | undefined, log: (line: string) => void): Promise<LoadResult> {
  const supportFiles = jsonFiles(path.join(folder, "support"));
  const allPatientFiles = jsonFiles(path.join(folder, "patients"));
  if (supportFiles.length === 0 || allPatientFiles.length === 0) {
    throw new Error(`No Synthea Bundles found under ${folder}/support and ${folder}/patients. Set FLINT_FIXTURES to the shared fixtures folder.`);
  }
  if (patientCount !== undefined && patientCount > allPatientFiles.length) {
    throw new Error(`--patients ${patientCount} is more than the ${allPatientFiles.length} patient Bundles in ${folder}/patients.`);
  }
  const patientFiles = allPatientFiles.slice(0, patientCount ?? allPatientFiles.length);

  const result: LoadResult = {
    bundles: 0,
    entries: 0,
    created: new Map(),
    supportSeconds: 0,
    patientSeconds: 0,
    catalogue: { patients: [], conditionCodes: [], vitalSignDates: [] },
  };

  let started = performance.now();
  await forEachConcurrently(supportFiles, LOAD_CONCURRENCY, async (file) => {
    await postBundle(send, file, result);
  });
  result.supportSeconds = (performance.now() - started) / 1000;
  log(`Loaded ${supportFiles.length} support Bundles in ${result.supportSeconds.toFixed(1)} s.`);

  started = performance.now();
  let done = 0;
  await forEachConcurrently(patientFiles, LOAD_CONCURRENCY, async (file) => {
    const { entries, locations } = await postBundle(send, file, result);
    addToCatalogue(result.catalogue, entries, locations);
    done++;
    log(`Loaded patient Bundle ${done}/${patientFiles.length} (${entries.length} entries).`);
  });
  result.patientSeconds = (performance.now() - started) / 1000;

  // Bundles finish in any order and ids are new on each load, so sorting by fixture values
  // keeps the query inputs the same from run to run.
  result.catalogue.patients.sort((a, b) => compareText(a.fullUrl, b.fullUrl));
  result.catalogue.conditionCodes.sort(compareText);
  result.catalogue.vitalSignDates.sort(compareText);
  return result;
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function jsonFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => path.join(folder, file));
}

/** Runs `task` on every item, with at most `limit` tasks running at once. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Posts one Bundle, checks every entry, counts what was created and returns each entry's `Type/id`. */
async function postBundle(send: Send, file: string, result: LoadResult): Promise<{ entries: RequestEntry[]; locations: string[] }> {
  const source = readFileSync(file, "utf8");
  const entries = (JSON.parse(source) as { entry: RequestEntry[] }).entry;
  const response = await send("POST", "", { body: source, headers: { "content-type": "application/fhir+json", prefer: "return=minimal" } });
  if (response.status !== 200) {
    throw new Error(`POST of ${path.basename(file)} failed with status ${response.status}: ${response.text.slice(0, 2_000)}`);
  }

  const responseEntries = (JSON.parse(response.text) as { entry?: ResponseEntry[] }).entry ?? [];
  if (responseEntries.length !== entries.length) {
    throw new Error(`POST of ${path.basename(file)} returned ${responseEntries.length} entries for ${entries.length} requests.`);
  }
  const locations = responseEntries.map((entry, index) => {
    const status = entry.response?.status ?? "";
    const match = /^([A-Za-z]+\/[A-Za-z0-9\-.]+)\/_history\/\d+$/.exec(entry.response?.location ?? "");
    if (!/^20[01]/.test(status) || match === null) {
      throw new Error(`Entry ${index} of ${path.basename(file)} failed with status "${status}" and location "${entry.response?.location}".`);
    }
    if (status.startsWith("201")) {
      const type = match[1]!.split("/")[0]!;
      result.created.set(type, (result.created.get(type) ?? 0) + 1);
    }
    return match[1]!;
  });

  result.bundles++;
  result.entries += entries.length;
  return { entries, locations };
}

/** Adds the Patient, Observations, Conditions and Encounters of one patient Bundle to the catalogue. */
function addToCatalogue(catalogue: Catalogue, entries: readonly RequestEntry[], locations: readonly string[]): void {
  const serverKey = new Map<string, string>();
  entries.forEach((entry, index) => {
    if (entry.fullUrl !== undefined) serverKey.set(entry.fullUrl, locations[index]!);
  });

  const patients = new Map<string, LoadedPatient>();
  entries.forEach((entry, index) => {
    const resource = entry.resource;
    if (resource.resourceType !== "Patient") return;
    const id = locations[index]!.slice("Patient/".length);
    const identifiers = ((resource.identifier ?? []) as Array<{ system?: string; value?: string }>).flatMap((identifier) =>
      identifier.system !== undefined && identifier.value !== undefined ? [{ system: identifier.system, value: identifier.value }] : [],
    );
    const patient: LoadedPatient = { id, fullUrl: entry.fullUrl ?? "", identifiers, observationCodes: [], encounterStarts: [] };
    patients.set(locations[index]!, patient);
    catalogue.patients.push(patient);
  });
  const patientOf = (resource: RequestEntry["resource"]) => patients.get(serverKey.get(resource.subject?.reference ?? "") ?? "");

  for (const { resource } of entries) {
    if (resource.resourceType === "Observation") {
      const code = codesOf(resource.code, "http://loinc.org")[0];
      if (code !== undefined) patientOf(resource)?.observationCodes.push(code);
      const categories = ((resource.category ?? []) as unknown[]).flatMap((category) => codesOf(category, undefined));
      if (categories.includes("vital-signs") && typeof resource.effectiveDateTime === "string") catalogue.vitalSignDates.push(resource.effectiveDateTime);
    } else if (resource.resourceType === "Condition") {
      catalogue.conditionCodes.push(...codesOf(resource.code, "http://snomed.info/sct").slice(0, 1));
    } else if (resource.resourceType === "Encounter" && typeof resource.period?.start === "string") {
      patientOf(resource)?.encounterStarts.push(resource.period.start);
    }
  }
}

/** Codes of a CodeableConcept's codings, only those of `system` unless it is undefined. */
function codesOf(concept: unknown, system: string | undefined): string[] {
  const codings = ((concept as { coding?: Array<{ system?: string; code?: string }> } | undefined)?.coding ?? []);
  return codings.flatMap((coding) => (coding.code !== undefined && (system === undefined || coding.system === system) ? [coding.code] : []));
}
