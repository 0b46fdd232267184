/**
 * Loads the Synthea support batches and a few patient transactions into the test app. The
 * fixture JSON of every created resource is kept under the id the server assigned, so that the
 * conformance oracles read fixture values and still name server ids.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { mapConcurrently, type Api, type Json } from "./harness.ts";

/** Patient bundles loaded, by the name the cases use for them. Together about 670 entries. */
export const SYNTHEA_PATIENTS = {
  /** Roselia779 Thompson596: born 1919, died 2010, a maiden name, offsets +01:00 and +02:00. */
  roselia: "5d2a2d08-cf2e-b7ad-a0db-77551a2777ec",
  /** Maximo817 Bartell116: born 1991, seven allergies, COVID-19 in 2020. */
  maximo: "6c8f3e83-c351-ed33-c38d-6be101c275d2",
  /** Camila223 Ankunding277: born 1929, died 1949, an imaging study and medications. */
  camila: "c0697745-be05-4abc-07e0-f78ca6cb7230",
} as const;

export type PatientName = keyof typeof SYNTHEA_PATIENTS;

/** Bundles posted at the same time. */
const POST_CONCURRENCY = 2;

/** A resource the load created: its server `Type/id` and the JSON of its fixture entry. */
export interface StoredResource {
  key: string;
  /** `id` of the resource in the fixture file, which the server replaced. */
  fixtureId: string;
  resource: Json;
}

interface PostedBundle {
  file: string;
  entries: Json[];
  status: number;
  text: string;
  responses: Json[];
}

/** Turns `Observation/abc/_history/1` into `Observation/abc`. */
function locationKey(location: string | undefined): string | undefined {
  const match = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/\d+$/.exec(location ?? "");
  return match === null ? undefined : `${match[1]}/${match[2]}`;
}

async function postBundle(api: Api, file: string): Promise<PostedBundle> {
  const source = readFileSync(file, "utf8");
  const result = await api.fhir("POST", "", { raw: source, headers: { "content-type": "application/fhir+json", prefer: "return=minimal" } });
  return {
    file: path.basename(file),
    entries: JSON.parse(source).entry,
    status: result.status,
    text: result.text,
    responses: result.json?.entry ?? [],
  };
}

/** The Synthea resources as stored, with the lookups the oracles need. */
export class SyntheaData {
  private readonly byKey = new Map<string, StoredResource>();
  private readonly byType = new Map<string, StoredResource[]>();
  /** Server key by `fullUrl` (`urn:uuid:...`) of the entry that created it. */
  private readonly byFullUrl = new Map<string, string>();
  /** Server key by conditional reference text, such as `Practitioner?identifier=system|value`. */
  private readonly byIdentifier = new Map<string, string>();

  /**
   * Posts the two support batches, then the chosen patient transactions, and indexes what they
   * created. Throws with the file and entry when a bundle or an entry failed.
   */
  static async load(api: Api, folder: string): Promise<SyntheaData> {
    const data = new SyntheaData();
    const supportFolder = path.join(folder, "support");
    const supportFiles = readdirSync(supportFolder)
      .filter((file) => file.endsWith(".json"))
      .sort()
      .map((file) => path.join(supportFolder, file));
    const patientFiles = Object.values(SYNTHEA_PATIENTS).map((uuid) => path.join(folder, "patients", `${uuid}.json`));

    const support = await mapConcurrently(supportFiles, POST_CONCURRENCY, (file) => postBundle(api, file));
    const patients = await mapConcurrently(patientFiles, POST_CONCURRENCY, (file) => postBundle(api, file));
    for (const bundle of [...support, ...patients]) data.add(bundle);
    return data;
  }

  private add(bundle: PostedBundle): void {
    if (bundle.status !== 200) throw new Error(`${bundle.file}: HTTP ${bundle.status} ${bundle.text.slice(0, 300)}`);
    bundle.entries.forEach((entry, index) => {
      const response = bundle.responses[index]?.response;
      const key = locationKey(response?.location);
      if (!String(response?.status).startsWith("201") || key === undefined) {
        throw new Error(`${bundle.file} entry ${index}: expected 201 with a location, got ${JSON.stringify(response).slice(0, 300)}`);
      }
      const stored: StoredResource = { key, fixtureId: entry.resource.id, resource: entry.resource };
      this.byKey.set(key, stored);
      const type = entry.resource.resourceType as string;
      this.byType.set(type, [...(this.byType.get(type) ?? []), stored]);
      if (entry.fullUrl !== undefined) this.byFullUrl.set(entry.fullUrl, key);
      for (const identifier of entry.resource.identifier ?? []) {
        this.byIdentifier.set(`${type}?identifier=${identifier.system}|${identifier.value}`, key);
      }
    });
  }

  /** Returns every stored resource of a type. */
  all(type: string): StoredResource[] {
    return this.byType.get(type) ?? [];
  }

  /** Returns the server keys of the resources of a type whose fixture JSON passes `predicate`. */
  keys(type: string, predicate: (resource: Json) => boolean = () => true): string[] {
    return this.all(type)
      .filter((stored) => predicate(stored.resource))
      .map((stored) => stored.key);
  }

  /** Returns the fixture JSON stored under a server key. */
  resourceOf(key: string): Json | undefined {
    return this.byKey.get(key)?.resource;
  }

  /** Returns the server key of the Patient created from a loaded patient bundle. */
  patient(name: PatientName): string {
    const key = this.byFullUrl.get(`urn:uuid:${SYNTHEA_PATIENTS[name]}`);
    if (key === undefined) throw new Error(`The patient ${name} was not loaded.`);
    return key;
  }

  /**
   * Returns the server key that a fixture Reference points to: an entry's `urn:uuid:` fullUrl, or a
   * conditional reference by identifier into the support batches. Undefined for a Reference
   * without `reference`, or one to a contained resource.
   */
  target(reference: Json): string | undefined {
    const text: unknown = reference?.reference;
    if (typeof text !== "string") return undefined;
    if (text.startsWith("urn:uuid:")) return this.byFullUrl.get(text);
    return this.byIdentifier.get(text);
  }

  /** Tests whether a fixture Reference, or any of an array of them, points to `key`. */
  pointsTo(references: Json, key: string): boolean {
    const list = Array.isArray(references) ? references : [references];
    return list.some((reference) => this.target(reference) === key);
  }

  /** Returns the server keys that the References returned by `references` point to, over all `sources`. */
  targets(sources: Iterable<string>, references: (resource: Json) => Json[]): string[] {
    const found = new Set<string>();
    for (const source of sources) {
      for (const reference of references(this.resourceOf(source))) {
        const key = this.target(reference);
        if (key !== undefined) found.add(key);
      }
    }
    return [...found];
  }

  /** Names a server key by its fixture id, for failure messages. */
  label(key: string): string {
    const stored = this.byKey.get(key);
    return stored === undefined ? key : `${key} (fixture ${stored.fixtureId})`;
  }
}
