/**
 * Loads the official R4 examples into the test app with `PUT [type]/[id]`, then a few resources
 * derived from them that carry `meta.tag` and `meta.source`, which no example has at the top
 * level. Keeps the JSON of everything stored, so that the conformance oracles can read it.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { BASE } from "../support/app.ts";
import { mapConcurrently, type Api, type Json } from "./harness.ts";

/** Examples that Flint rejects for a real defect, with the expected status. */
const REJECTED: Record<string, number> = {
  // 32 display items without the linkId that Questionnaire.item.linkId (1..1) requires.
  "Questionnaire-qs1.json": 400,
};

/** PUT requests in flight at the same time. */
const PUT_CONCURRENCY = 4;

export const WORKFLOW_TAGS = "http://example.org/fhir/CodeSystem/workflow-codes";
export const REGISTRATION_FEED = "http://example.org/fhir/feeds/registration";

/**
 * Resources written after the examples. Each is a copy of an example, with a new id and the
 * meta elements that the `_tag` and `_source` cases search. DiagnosticReport/101 is the first
 * entry of Bundle-101, unchanged, with the tag it carries there.
 */
function derivedResources(read: (file: string) => Json): Json[] {
  const copy = (file: string, id: string, meta: Json) => ({ ...read(file), id, meta });
  return [
    copy("Patient-pat1.json", "derived-source-a", {
      source: `${REGISTRATION_FEED}#batch-7`,
      tag: [{ system: WORKFLOW_TAGS, code: "02", display: "Reviewed" }],
    }),
    copy("Patient-pat2.json", "derived-source-b", { source: `${REGISTRATION_FEED}#batch-8` }),
    copy("Patient-pat3.json", "derived-source-c", {
      source: `${REGISTRATION_FEED}#batch-7`,
      tag: [{ system: WORKFLOW_TAGS, code: "01", display: "Needs Review" }],
    }),
    read("Bundle-101.json").entry[0].resource,
  ];
}

export class ExamplesData {
  private readonly byKey = new Map<string, Json>();
  private readonly byType = new Map<string, string[]>();
  /** `meta.lastUpdated` that the server returned for each write. */
  private readonly lastUpdated = new Map<string, string>();
  /** The latest `meta.lastUpdated` among the examples, before the derived resources were written. */
  examplesLoadedAt = "";

  /**
   * PUTs every example, checks that only the known defective one is rejected, then PUTs the
   * derived resources. Throws with the file and the server's message when a write fails.
   */
  static async load(api: Api, folder: string): Promise<ExamplesData> {
    const data = new ExamplesData();
    const read = (file: string) => JSON.parse(readFileSync(path.join(folder, file), "utf8"));
    const files = readdirSync(folder)
      .filter((file) => file.endsWith(".json"))
      .sort();

    await mapConcurrently(files, PUT_CONCURRENCY, async (file) => {
      const text = readFileSync(path.join(folder, file), "utf8");
      const resource = JSON.parse(text);
      const result = await api.fhir("PUT", `/${resource.resourceType}/${resource.id}`, {
        raw: text,
        headers: { "content-type": "application/fhir+json" },
      });
      const rejection = REJECTED[file];
      if (rejection !== undefined) {
        if (result.status !== rejection) throw new Error(`${file}: expected HTTP ${rejection}, got ${result.status}`);
        return;
      }
      data.record(file, resource, result);
    });
    data.examplesLoadedAt = [...data.lastUpdated.values()].reduce((latest, value) => (value > latest ? value : latest));

    // The derived resources must be later than every example, to the millisecond that
    // lastUpdated carries, so that the _lastUpdated cases split the two groups cleanly.
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const resource of derivedResources(read)) {
      const result = await api.fhir("PUT", `/${resource.resourceType}/${resource.id}`, { body: resource });
      data.record(`derived ${resource.resourceType}/${resource.id}`, resource, result);
    }
    return data;
  }

  private record(source: string, resource: Json, result: { status: number; text: string; json: Json }): void {
    if (result.status !== 201 && result.status !== 200) throw new Error(`${source}: HTTP ${result.status} ${result.text.slice(0, 300)}`);
    const lastUpdated = result.json?.meta?.lastUpdated;
    if (typeof lastUpdated !== "string") throw new Error(`${source}: the response has no meta.lastUpdated`);
    const key = `${resource.resourceType}/${resource.id}`;
    this.byKey.set(key, resource);
    this.byType.set(resource.resourceType, [...(this.byType.get(resource.resourceType) ?? []), key]);
    this.lastUpdated.set(key, lastUpdated);
  }

  /** Returns the keys of the stored resources of a type whose JSON passes `predicate`. */
  keys(type: string, predicate: (resource: Json) => boolean = () => true): string[] {
    return (this.byType.get(type) ?? []).filter((key) => predicate(this.byKey.get(key)));
  }

  resourceOf(key: string): Json | undefined {
    return this.byKey.get(key);
  }

  /** Returns `meta.lastUpdated` as the server returned it when the resource was written. */
  lastUpdatedOf(key: string): string {
    const value = this.lastUpdated.get(key);
    if (value === undefined) throw new Error(`${key} was not written.`);
    return value;
  }

  /**
   * Returns the `Type/id` that a Reference names: a relative reference, with any `/_history/[version]`
   * dropped, or an absolute URL on this server. Undefined for contained, logical and external
   * references. The target need not exist, because a reference search matches the text.
   */
  referenceKey(reference: Json): string | undefined {
    let text: unknown = reference?.reference;
    if (typeof text !== "string") return undefined;
    if (text.startsWith(`${BASE}/`)) text = text.slice(BASE.length + 1);
    const match = /^([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(text as string);
    return match === null ? undefined : match[1];
  }

  /** Returns the key of the stored resource that a Reference points to, or undefined when it names none. */
  target(reference: Json): string | undefined {
    const key = this.referenceKey(reference);
    return key !== undefined && this.byKey.has(key) ? key : undefined;
  }

  /** Tests whether a Reference, or any of an array of them, names `key`. */
  pointsTo(references: Json, key: string): boolean {
    const list = Array.isArray(references) ? references : [references];
    return list.some((reference) => reference !== undefined && this.referenceKey(reference) === key);
  }

  /** Returns the keys that the References returned by `references` point to, over all `sources`. */
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
}
