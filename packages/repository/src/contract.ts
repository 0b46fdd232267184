import type { Resource } from "fhir/r4";
import { beforeAll, describe, expect, it } from "vitest";
import { FhirError, type ErrorKind } from "@flint/core";
import type { FhirRepository } from "./repository.ts";

/** Behaviours a backend may declare it lacks, each with the reason, instead of failing them. */
export type ContractSkips = Partial<Record<string, string>>;

export interface ContractTarget {
  /** Creates an empty repository; `now` replaces the clock when a test needs to fix it. */
  create(options?: { now?: () => Date }): Promise<FhirRepository>;
  skips?: ContractSkips;
}

type Patient = Resource & { id: string; resourceType: "Patient"; active?: boolean; name?: Array<{ family?: string }> };

let sequence = 0;
function uniqueId(prefix: string): string {
  sequence += 1;
  return `${prefix}-${Date.now().toString(36)}-${sequence}`;
}

function patient(id: string, fields: Partial<Patient> = {}): Patient {
  return { resourceType: "Patient", id, ...fields };
}

async function expectKind(promise: Promise<unknown>, kind: ErrorKind): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, `expected a FhirError of kind ${kind}`).toBeInstanceOf(FhirError);
  expect((error as FhirError).kind).toBe(kind);
}

/**
 * The repository contract: every backend runs these tests against a real database.
 * A backend lists what it cannot do in `skips`, with a reason; that list is its public gap record.
 */
export function describeRepositoryContract(backend: string, target: ContractTarget): void {
  const skips = target.skips ?? {};
  const test = (name: string, body: () => Promise<void>) =>
    skips[name] === undefined ? it(name, body) : it.skip(`${name} (skipped: ${skips[name]})`, body);

  describe(`repository contract: ${backend}`, () => {
    let repository: FhirRepository;
    beforeAll(async () => {
      repository = await target.create();
    });

    test("create stores version 1 with meta", async () => {
      const id = uniqueId("create");
      const stored = await repository.create(patient(id, { active: true, meta: { profile: ["http://example.org/p"] } }));

      expect(stored.versionId).toBe(1);
      expect(stored.resource.meta?.versionId).toBe("1");
      expect(stored.resource.meta?.lastUpdated).toBe(stored.lastUpdated);
      expect(stored.resource.meta?.profile).toEqual(["http://example.org/p"]);
      expect(stored.lastUpdated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      const read = await repository.read("Patient", id);
      expect(read.resource).toEqual(stored.resource);
    });

    test("create rejects an existing id", async () => {
      const id = uniqueId("dup");
      await repository.create(patient(id));
      await expectKind(repository.create(patient(id)), "conflict");
    });

    test("read of unknown id is not-found", async () => {
      await expectKind(repository.read("Patient", uniqueId("unknown")), "not-found");
      await expectKind(repository.vread("Patient", uniqueId("unknown"), 1), "not-found");
    });

    test("ids are case-sensitive", async () => {
      const id = uniqueId("Case");
      await repository.create(patient(id, { active: true }));
      await expectKind(repository.read("Patient", id.toLowerCase()), "not-found");
      await repository.create(patient(id.toLowerCase(), { active: false }));
      expect((await repository.read("Patient", id)).resource).toMatchObject({ active: true });
    });

    test("unicode is stored exactly", async () => {
      const id = uniqueId("unicode");
      const family = "Köhler-Ørsted 山田 \u{1F600} \u0301e\u200d";
      await repository.create(patient(id, { name: [{ family }] }));
      const read = await repository.read("Patient", id);
      expect((read.resource as Patient).name?.[0]?.family).toBe(family);
    });

    test("large body round-trips", async () => {
      const id = uniqueId("large");
      const data = Buffer.from(Array.from({ length: 1_500_000 }, (_, index) => (index * 7919) % 251)).toString("base64");
      await repository.create({ resourceType: "Binary", id, contentType: "application/octet-stream", data } as Resource & {
        id: string;
      });
      const read = await repository.read("Binary", id);
      expect((read.resource as { data?: string }).data).toBe(data);
      expect((await repository.vread("Binary", id, 1)).resource).toEqual(read.resource);
    });

    test("update increments the version", async () => {
      const id = uniqueId("update");
      await repository.create(patient(id, { active: true }));
      const result = await repository.update(patient(id, { active: false }));

      expect(result.created).toBe(false);
      expect(result.version.versionId).toBe(2);
      expect(result.version.resource.meta?.versionId).toBe("2");
      expect((await repository.read("Patient", id)).resource).toMatchObject({ active: false });
      expect((await repository.vread("Patient", id, 1)).resource).toMatchObject({ active: true });
    });

    test("update of unknown id creates it", async () => {
      const id = uniqueId("upsert");
      const result = await repository.update(patient(id));
      expect(result.created).toBe(true);
      expect(result.version.versionId).toBe(1);
      expect(result.version.method).toBe("PUT");
    });

    test("update with stale ifMatch fails and writes nothing", async () => {
      const id = uniqueId("ifmatch");
      await repository.create(patient(id, { active: true }));
      await repository.update(patient(id, { active: false }), { ifMatch: 1 });

      await expectKind(repository.update(patient(id, { active: true }), { ifMatch: 1 }), "precondition-failed");
      const read = await repository.read("Patient", id);
      expect(read.versionId).toBe(2);
      expect(read.resource).toMatchObject({ active: false });
    });

    test("ifMatch on unknown id fails", async () => {
      await expectKind(repository.update(patient(uniqueId("nomatch")), { ifMatch: 1 }), "precondition-failed");
    });

    test("concurrent ifMatch updates have one winner", async () => {
      const id = uniqueId("race");
      await repository.create(patient(id));
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          repository.update(patient(id, { name: [{ family: `writer-${index}` }] }), { ifMatch: 1 }),
        ),
      );

      const winners = attempts.filter((attempt) => attempt.status === "fulfilled");
      expect(winners).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === "rejected") expect((attempt.reason as FhirError).kind).toBe("precondition-failed");
      }
      expect((await repository.read("Patient", id)).versionId).toBe(2);
    });

    test("concurrent updates lose no version", async () => {
      const id = uniqueId("nolost");
      await repository.create(patient(id));
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, (_, index) => repository.update(patient(id, { name: [{ family: `w${index}` }] }))),
      );

      const committed = attempts.flatMap((attempt) => (attempt.status === "fulfilled" ? [attempt.value.version] : []));
      const versions = committed.map((version) => version.versionId).sort((a, b) => a - b);
      expect(new Set(versions).size).toBe(versions.length);

      const history = await repository.history({ resourceType: "Patient", id, count: 100 });
      const numbers = history.entries.map((entry) => entry.versionId);
      expect(numbers).toEqual(Array.from({ length: committed.length + 1 }, (_, index) => committed.length + 1 - index));
      for (const version of committed) {
        const stored = history.entries.find((entry) => entry.versionId === version.versionId);
        expect(stored?.resource).toEqual(version.resource);
      }
    });

    test("delete is idempotent and keeps history", async () => {
      const id = uniqueId("delete");
      await repository.create(patient(id, { active: true }));

      const first = await repository.delete("Patient", id);
      expect(first.deleted).toBe(true);
      expect(first.version?.versionId).toBe(2);
      const second = await repository.delete("Patient", id);
      expect(second.deleted).toBe(false);
      expect(second.version?.versionId).toBe(2);
      expect((await repository.delete("Patient", uniqueId("never"))).deleted).toBe(false);

      await expectKind(repository.read("Patient", id), "deleted");
      expect((await repository.vread("Patient", id, 1)).resource).toMatchObject({ active: true });
      const tombstone = await repository.vread("Patient", id, 2);
      expect(tombstone.deleted).toBe(true);
      expect(tombstone.resource).toBeUndefined();
    });

    test("update revives a deleted resource", async () => {
      const id = uniqueId("revive");
      await repository.create(patient(id));
      await repository.delete("Patient", id);
      const revived = await repository.update(patient(id, { active: true }));

      expect(revived.created).toBe(true);
      expect(revived.version.versionId).toBe(3);
      expect((await repository.read("Patient", id)).versionId).toBe(3);
    });

    test("delete with stale ifMatch fails", async () => {
      const id = uniqueId("delmatch");
      await repository.create(patient(id));
      await repository.update(patient(id));
      await expectKind(repository.delete("Patient", id, { ifMatch: 1 }), "precondition-failed");
      expect((await repository.read("Patient", id)).versionId).toBe(2);
    });

    test("lastUpdated increases even when the clock stands still", async () => {
      const fixed = new Date("2030-01-01T00:00:00.000Z");
      const frozen = await target.create({ now: () => fixed });
      const id = uniqueId("clock");
      const first = await frozen.create(patient(id));
      const second = await frozen.update(patient(id));
      expect(second.version.lastUpdated > first.lastUpdated).toBe(true);
    });

    test("instance history pages newest first", async () => {
      const id = uniqueId("hist");
      await repository.create(patient(id));
      for (let index = 0; index < 4; index++) await repository.update(patient(id, { active: index % 2 === 0 }));
      await repository.delete("Patient", id);

      const seen: number[] = [];
      let cursor: string | undefined;
      do {
        const page = await repository.history({ resourceType: "Patient", id, count: 2, ...(cursor ? { cursor } : {}) });
        expect(page.entries.length).toBeLessThanOrEqual(2);
        seen.push(...page.entries.map((entry) => entry.versionId));
        cursor = page.next;
      } while (cursor !== undefined);

      expect(seen).toEqual([6, 5, 4, 3, 2, 1]);
      const latest = await repository.history({ resourceType: "Patient", id, count: 1 });
      expect(latest.entries[0]?.deleted).toBe(true);
      expect(latest.entries[0]?.method).toBe("DELETE");
    });

    test("history filters by since and at", async () => {
      let clock = Date.parse("2031-03-01T00:00:00.000Z");
      const stepped = await target.create({ now: () => new Date(clock) });
      const id = uniqueId("window");
      await stepped.create(patient(id)); // v1 at 2031-03-01
      clock = Date.parse("2031-03-10T00:00:00.000Z");
      await stepped.update(patient(id)); // v2 at 2031-03-10
      clock = Date.parse("2031-03-20T00:00:00.000Z");
      await stepped.update(patient(id)); // v3 at 2031-03-20

      const since = await stepped.history({ resourceType: "Patient", id, count: 10, since: "2031-03-10T00:00:00.000Z" });
      expect(since.entries.map((entry) => entry.versionId)).toEqual([3, 2]);

      const at = await stepped.history({
        resourceType: "Patient",
        id,
        count: 10,
        at: { start: "2031-03-05T00:00:00.000Z", end: "2031-03-06T00:00:00.000Z" },
      });
      expect(at.entries.map((entry) => entry.versionId)).toEqual([1]);

      const typeAt = await stepped.history({
        resourceType: "Patient",
        count: 10,
        at: { start: "2031-03-12T00:00:00.000Z", end: "2031-03-25T00:00:00.000Z" },
      });
      expect(typeAt.entries.filter((entry) => entry.id === id).map((entry) => entry.versionId)).toEqual([3, 2]);
    });

    test("type and system history merge all writes", async () => {
      const isolated = await target.create();
      const ids = Array.from({ length: 7 }, () => uniqueId("feed"));
      for (const id of ids) await isolated.create(patient(id));
      await isolated.update(patient(ids[0]!));
      await isolated.delete("Patient", ids[1]!);
      await isolated.create({ resourceType: "Observation", id: uniqueId("obs"), status: "final", code: { text: "x" } } as Resource & {
        id: string;
      });

      const typeEntries = [];
      let cursor: string | undefined;
      do {
        const page = await isolated.history({ resourceType: "Patient", count: 3, ...(cursor ? { cursor } : {}) });
        typeEntries.push(...page.entries);
        cursor = page.next;
      } while (cursor !== undefined);

      expect(typeEntries).toHaveLength(9);
      const stamps = typeEntries.map((entry) => entry.lastUpdated);
      expect([...stamps].sort().reverse()).toEqual(stamps);
      expect(new Set(typeEntries.map((entry) => `${entry.id}/${entry.versionId}`)).size).toBe(9);
      expect(typeEntries.every((entry) => entry.resourceType === "Patient")).toBe(true);
      expect(typeEntries.find((entry) => entry.id === ids[1] && entry.versionId === 2)?.deleted).toBe(true);
      expect(typeEntries.find((entry) => entry.id === ids[0] && entry.versionId === 2)?.resource).toBeDefined();

      const system = await isolated.history({ count: 50 });
      expect(system.entries).toHaveLength(10);
      expect(system.next).toBeUndefined();
      expect(system.entries.some((entry) => entry.resourceType === "Observation")).toBe(true);
    });

    test("invalid history cursor is rejected", async () => {
      await expectKind(repository.history({ count: 5, cursor: "not-a-cursor" }), "invalid");
    });
  });
}
