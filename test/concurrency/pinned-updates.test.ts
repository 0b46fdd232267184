import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { content, etagVersion, expectContiguous, expectReadMatchesHistory, nextRunId, readHistory, runs, startStore } from "./harness.ts";

let api: Awaited<ReturnType<typeof startStore>>;
beforeAll(async () => {
  api = await startStore();
});

/** One writer: the version it pins with If-Match, relative to the current one, and the body it sends. */
const writer = fc.record({
  offset: fc.constantFrom(-1, 0, 0, 0, 1, 2),
  active: fc.boolean(),
  given: fc.stringMatching(/^[A-Za-z]{1,12}$/),
});

const workload = fc.record({
  priorUpdates: fc.integer({ min: 0, max: 2 }),
  writers: fc.array(writer, { minLength: 2, maxLength: 10 }),
});

describe("parallel pinned updates", () => {
  it("one winner per pinned version", async () => {
    await fc.assert(
      fc.asyncProperty(workload, async ({ priorUpdates, writers }) => {
        const id = nextRunId("pin");
        expect((await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id } })).status).toBe(201);
        for (let update = 0; update < priorUpdates; update++) {
          expect((await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, gender: "unknown" } })).status).toBe(200);
        }
        const start = 1 + priorUpdates;

        const sent = writers.map((entry, index) => ({
          pin: Math.max(1, start + entry.offset),
          body: { resourceType: "Patient", id, active: entry.active, name: [{ family: `W${index}`, given: [entry.given] }] },
        }));
        const results = await Promise.all(sent.map(({ pin, body }) => api.fhir("PUT", `/Patient/${id}`, { body, headers: { "if-match": `W/"${pin}"` } })));

        const statuses = results.map((result) => result.status);
        const label = `pins ${sent.map((entry) => entry.pin).join(",")} got ${statuses.join(",")}`;
        for (const status of statuses) expect([200, 409, 412], label).toContain(status);

        const winners = sent.flatMap((entry, index) => (results[index]!.status === 200 ? [{ ...entry, result: results[index]! }] : []));
        for (const winner of winners) {
          expect(etagVersion(winner.result), `${label}: a winner writes the version after its pin`).toBe(winner.pin + 1);
          expect(content(winner.result.json), label).toEqual(winner.body);
        }
        const versions = winners.map((winner) => etagVersion(winner.result)!).sort((a, b) => a - b);
        expect(versions, `${label}: versions of the winners`).toEqual(winners.map((_, index) => start + 1 + index));

        sent.forEach((entry, index) => {
          if (entry.pin < start) expect(statuses[index], `${label}: writer ${index} pinned a stale version`).toBe(412);
        });
        const lostOnStart = sent.some((entry, index) => entry.pin === start && statuses[index] === 412);
        if (lostOnStart) expect(winners.some((winner) => winner.pin === start), `${label}: a 412 on the current version needs a winner on it`).toBe(true);

        const history = await readHistory(api, "Patient", id);
        expectContiguous(history, label);
        expect(history, label).toHaveLength(start + winners.length);
        for (const winner of winners) expect(content(history[winner.pin]!.resource), `${label}: version ${winner.pin + 1}`).toEqual(winner.body);
        await expectReadMatchesHistory(api, "Patient", id, history, label);
      }),
      runs(25),
    );

    expect(await api.findings()).toEqual([]);
  }, 90_000);
});
