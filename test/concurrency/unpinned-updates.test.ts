import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { content, etagVersion, expectContiguous, expectReadMatchesHistory, nextRunId, readHistory, runs, startStore } from "./harness.ts";

let api: Awaited<ReturnType<typeof startStore>>;
beforeAll(async () => {
  api = await startStore();
});

/** The body of one writer, apart from its id and the family name that marks it. */
const writer = fc.record({
  active: fc.boolean(),
  given: fc.array(fc.stringMatching(/^[A-Za-z]{1,12}$/), { minLength: 1, maxLength: 3 }),
  birthDate: fc.option(fc.date({ min: new Date("1900-01-01"), max: new Date("2020-12-31"), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)), { nil: undefined }),
});

/**
 * Size of the random photo of a large body. Its base64 text hardly compresses, so the stored
 * body exceeds the 300 KiB that DynamoDB keeps inline and is written as slices.
 */
const LARGE_PHOTO_BYTES = 360_000;

const workload = fc.record({
  exists: fc.boolean(),
  writers: fc.array(writer, { minLength: 2, maxLength: 12 }),
});

describe("parallel unpinned updates", () => {
  it("every update lands exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(workload, async ({ exists, writers }) => {
        const id = nextRunId("free");
        if (exists) expect((await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id } })).status).toBe(201);
        const base = exists ? 1 : 0;

        const bodies = writers.map(({ active, given, birthDate }, index) => ({
          resourceType: "Patient",
          id,
          active,
          name: [{ family: `W${index}`, given }],
          ...(birthDate === undefined ? {} : { birthDate }),
        }));
        const results = await Promise.all(bodies.map((body) => api.fhir("PUT", `/Patient/${id}`, { body })));

        const statuses = results.map((result) => result.status);
        const label = `${exists ? "existing" : "new"} resource, statuses ${statuses.join(",")}`;
        for (const status of statuses) expect([200, 201, 409], label).toContain(status);
        const written = bodies.flatMap((body, index) => ([200, 201].includes(statuses[index]!) ? [{ body, result: results[index]! }] : []));
        const versions = written.map((write) => etagVersion(write.result)!);
        expect([...versions].sort((a, b) => a - b), `${label}: reported versions`).toEqual(written.map((_, index) => base + 1 + index));
        for (const write of written) {
          const expectedStatus = etagVersion(write.result) === 1 ? 201 : 200;
          expect(write.result.status, `${label}: status of version ${etagVersion(write.result)}`).toBe(expectedStatus);
          expect(content(write.result.json), label).toEqual(write.body);
        }

        const history = await readHistory(api, "Patient", id);
        expectContiguous(history, label);
        expect(history, label).toHaveLength(base + written.length);
        for (const write of written) {
          const version = etagVersion(write.result)!;
          expect(content(history[version - 1]!.resource), `${label}: version ${version}`).toEqual(write.body);
        }
        const families = history.slice(base).map((entry) => entry.resource.name[0].family);
        expect(new Set(families).size, `${label}: each writer at most once`).toBe(families.length);

        await expectReadMatchesHistory(api, "Patient", id, history, label);
      }),
      runs(20),
    );

    expect(await api.findings()).toEqual([]);
  }, 90_000);

  it("large bodies are never torn", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 2, maxLength: 5 }), async (large) => {
        const id = nextRunId("large");
        expect((await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id } })).status).toBe(201);

        const bodies = large.map((isLarge, index) => ({
          resourceType: "Patient",
          id,
          name: [{ family: `W${index}` }],
          ...(isLarge ? { photo: [{ contentType: "application/octet-stream", data: randomBytes(LARGE_PHOTO_BYTES).toString("base64") }] } : {}),
        }));
        const results = await Promise.all(bodies.map((body) => api.fhir("PUT", `/Patient/${id}`, { body })));

        const label = `large ${large.join(",")}, statuses ${results.map((result) => result.status).join(",")}`;
        for (const result of results) expect([200, 409], label).toContain(result.status);
        const history = await readHistory(api, "Patient", id);
        expectContiguous(history, label);
        const written = bodies.filter((_, index) => results[index]!.status === 200);
        expect(history, label).toHaveLength(1 + written.length);
        for (const [index, body] of bodies.entries()) {
          if (results[index]!.status !== 200) continue;
          const version = etagVersion(results[index]!)!;
          expect(content(history[version - 1]!.resource), `${label}: version ${version}`).toEqual(body);
        }
        await expectReadMatchesHistory(api, "Patient", id, history, label);
      }),
      runs(4),
    );

    expect(await api.findings()).toEqual([]);
  }, 90_000);
});
