import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { FhirResult } from "../support/app.ts";
import { content, etagVersion, expectContiguous, expectReadMatchesHistory, nextRunId, readHistory, runs, searchIds, startStore, type HistoryVersion } from "./harness.ts";

let api: Awaited<ReturnType<typeof startStore>>;
beforeAll(async () => {
  api = await startStore();
});

/** Patients every run starts with, which the updates, deletes and reads target. */
const SHARED = 3;

/**
 * Endings of the family names the writers choose from. They have equal length, so no family
 * name of a run is a prefix of another and a string search for one finds only that one.
 */
const WORDS = ["Alpha", "Bravo", "Delta", "Gamma"];

const family = fc.integer({ min: 0, max: WORDS.length - 1 });
const target = fc.integer({ min: 0, max: SHARED - 1 });
const operation = fc.oneof(
  fc.record({ kind: fc.constant("update" as const), target, family, pinned: fc.boolean() }),
  fc.record({ kind: fc.constant("delete" as const), target }),
  fc.record({ kind: fc.constant("create" as const), family }),
  fc.record({ kind: fc.constant("read" as const), target }),
  fc.record({ kind: fc.constant("search" as const), family }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

/** A resource body that a read or search returned while the writers ran. */
interface Observed {
  id: string;
  resource: any;
}

describe("parallel mixed load", () => {
  it("history, read and search agree", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 6, maxLength: 20 }), async (operations) => {
        const run = nextRunId("mix");
        const families = WORDS.map((word) => `${run.replaceAll("-", "")}${word}`);
        const ids = Array.from({ length: SHARED }, (_, index) => `${run}-p${index}`);
        for (const [index, id] of ids.entries()) {
          expect((await api.fhir("PUT", `/Patient/${id}`, { body: patient(id, families[index % families.length]!, "start") })).status).toBe(201);
        }

        const results = await Promise.all(operations.map((entry, index) => perform(entry, index, ids, families)));

        const label = operations.map((entry, index) => `${entry.kind}: ${results[index]!.status}`).join(", ");
        const observed: Observed[] = [];
        const created: string[] = [];
        /** Versions of each shared resource that a successful update or delete reported. */
        const reported = new Map<string, Map<number, { index: number; body?: any }>>(ids.map((id) => [id, new Map()]));
        for (const [index, entry] of operations.entries()) {
          const result = results[index]!;
          const context = `${label}\n${entry.kind} ${index}: ${result.text}`;
          switch (entry.kind) {
            case "update": {
              expect(entry.pinned ? [200, 201, 409, 412] : [200, 201, 409], context).toContain(result.status);
              if (result.status >= 300) break;
              const versions = reported.get(ids[entry.target]!)!;
              const version = etagVersion(result)!;
              expect(versions.has(version), `${context}: version ${version} reported twice`).toBe(false);
              versions.set(version, { index, body: patient(ids[entry.target]!, families[entry.family]!, `op${index}`) });
              break;
            }
            case "delete": {
              expect([204, 409], context).toContain(result.status);
              if (result.status !== 204) break;
              const versions = reported.get(ids[entry.target]!)!;
              const version = etagVersion(result)!;
              const earlier = versions.get(version);
              if (earlier !== undefined) expect(earlier.body, `${context}: version ${version} is both an update and a delete`).toBeUndefined();
              versions.set(version, { index });
              break;
            }
            case "create":
              expect(result.status, context).toBe(201);
              created.push(result.json.id);
              break;
            case "read":
              expect([200, 410], context).toContain(result.status);
              if (result.status === 200) observed.push({ id: ids[entry.target]!, resource: result.json });
              break;
            case "search":
              expect(result.status, context).toBe(200);
              for (const match of result.json.entry ?? []) {
                expect(match.resource.name[0].family, `${context}: a match holds the searched family`).toBe(families[entry.family]);
                observed.push({ id: match.resource.id, resource: match.resource });
              }
              break;
          }
        }

        const histories = new Map<string, HistoryVersion[]>();
        for (const id of [...ids, ...created]) {
          const history = await readHistory(api, "Patient", id);
          expectContiguous(history, `${label}: ${id}`);
          histories.set(id, history);

          await expectReadMatchesHistory(api, "Patient", id, history, label);
        }

        for (const id of ids) {
          const history = histories.get(id)!;
          const versions = reported.get(id)!;
          for (const entry of history.slice(1)) {
            const writer = versions.get(entry.version);
            expect(writer, `${label}: ${id} version ${entry.version} has a writer`).toBeDefined();
            expect(entry.deleted, `${label}: ${id} version ${entry.version}`).toBe(writer!.body === undefined);
            if (writer!.body !== undefined) expect(content(entry.resource), `${label}: ${id} version ${entry.version}`).toEqual(writer!.body);
          }
          for (const version of versions.keys()) expect(version, `${label}: ${id} reported version`).toBeLessThanOrEqual(history.length);
        }

        for (const seen of observed) {
          const stored = histories.get(seen.id)?.[Number(seen.resource.meta.versionId) - 1];
          expect(stored?.resource, `${label}: ${seen.id} as read during the run`).toEqual(seen.resource);
        }

        for (const name of families) {
          const expected = [...histories]
            .filter(([, history]) => !history.at(-1)!.deleted && history.at(-1)!.resource.name[0].family === name)
            .map(([id]) => id)
            .sort();
          expect((await searchIds(api, "Patient", `family=${name}`)).sort(), `${label}: search family=${name}`).toEqual(expected);
        }
      }),
      runs(15),
    );

    expect(await api.findings()).toEqual([]);
  }, 120_000);
});

function patient(id: string, family: string, given: string) {
  return { resourceType: "Patient", id, name: [{ family, given: [given] }] };
}

/** Sends one operation of the load; an update's given name `op{index}` marks its body. */
async function perform(entry: Operation, index: number, ids: string[], families: string[]): Promise<FhirResult> {
  switch (entry.kind) {
    case "update": {
      const id = ids[entry.target]!;
      const headers: Record<string, string> = entry.pinned ? { "if-match": 'W/"1"' } : {};
      return api.fhir("PUT", `/Patient/${id}`, { body: patient(id, families[entry.family]!, `op${index}`), headers });
    }
    case "delete":
      return api.fhir("DELETE", `/Patient/${ids[entry.target]}`);
    case "create":
      return api.fhir("POST", "/Patient", { body: { resourceType: "Patient", name: [{ family: families[entry.family], given: [`op${index}`] }] } });
    case "read":
      return api.fhir("GET", `/Patient/${ids[entry.target]}`);
    case "search":
      return api.fhir("GET", `/Patient?family=${families[entry.family]}`);
  }
}
