import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { content, etagVersion, expectContiguous, expectReadMatchesHistory, nextRunId, readHistory, runs, startStore } from "./harness.ts";

let api: Awaited<ReturnType<typeof startStore>>;
beforeAll(async () => {
  api = await startStore();
});

/** Shared resources each run starts with; transactions pick overlapping subsets of them. */
const SHARED = 4;

/**
 * One transaction: which shared resources it updates or deletes, whether each entry pins the
 * version with `ifMatch`, and how many new Basic resources it also creates. 40 of them need
 * more than the 100 actions of one DynamoDB TransactWriteItems, so that store runs its
 * multi-step protocol.
 */
const transaction = fc.record({
  entries: fc.uniqueArray(
    fc.record({ target: fc.integer({ min: 0, max: SHARED - 1 }), operation: fc.constantFrom("PUT", "PUT", "DELETE"), pinned: fc.boolean() }),
    { minLength: 1, maxLength: SHARED, selector: (entry) => entry.target },
  ),
  creates: fc.constantFrom(0, 0, 1, 2, 40),
});

const workload = fc.record({
  startVersions: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: SHARED, maxLength: SHARED }),
  transactions: fc.array(transaction, { minLength: 2, maxLength: 5 }),
});

/** A write that a committed transaction reports, to be found in history at `version`. */
interface Claim {
  transaction: number;
  version: number;
  body?: any;
}

/**
 * Tells whether a DELETE reports the deletion that the previous claim, also a DELETE, wrote.
 * A DELETE of a deleted resource writes nothing and reports the existing deletion. So two
 * deletes may name one version, but a PUT shares its version with no other write.
 */
function repeatsDeletion(claim: Claim, previous: Claim | undefined): boolean {
  return previous !== undefined && claim.body === undefined && previous.body === undefined && previous.version === claim.version;
}

describe("parallel overlapping transactions", () => {
  it("commit all or nothing", async () => {
    await fc.assert(
      fc.asyncProperty(workload, async ({ startVersions, transactions }) => {
        const run = nextRunId("tx");
        const ids = startVersions.map((_, index) => `${run}-p${index}`);
        for (const [index, id] of ids.entries()) {
          for (let version = 1; version <= startVersions[index]!; version++) {
            expect((await api.fhir("PUT", `/Patient/${id}`, { body: { resourceType: "Patient", id, gender: "unknown" } })).status).toBeLessThan(300);
          }
        }

        const bundles = transactions.map((planned, number) => {
          const entries: any[] = planned.entries.map(({ target, operation, pinned }) => {
            const id = ids[target]!;
            const request: Record<string, string> = { method: operation, url: `Patient/${id}` };
            if (pinned) request.ifMatch = `W/"${startVersions[target]}"`;
            if (operation === "DELETE") return { request };
            return { resource: { resourceType: "Patient", id, name: [{ family: `T${number}` }] }, request };
          });
          for (let index = 0; index < planned.creates; index++) {
            const id = `${run}-t${number}-b${index}`;
            entries.push({ resource: { resourceType: "Basic", id, code: { text: `T${number}` } }, request: { method: "PUT", url: `Basic/${id}` } });
          }
          return { resourceType: "Bundle", type: "transaction", entry: entries };
        });
        const results = await Promise.all(bundles.map((body) => api.fhir("POST", "", { body })));

        const statuses = results.map((result) => result.status);
        const label = `transactions ${JSON.stringify(transactions.map((planned) => planned.entries))} got ${statuses.join(",")}`;
        const claims = new Map<string, Claim[]>(ids.map((id) => [id, []]));
        for (const [number, result] of results.entries()) {
          const planned = transactions[number]!;
          const pinned = planned.entries.some((entry) => entry.pinned);
          expect(pinned ? [200, 409, 412] : [200, 409], `${label}: transaction ${number}\n${result.text}`).toContain(result.status);
          if (result.status !== 200) continue;

          for (const [position, entry] of planned.entries.entries()) {
            const response = result.json.entry[position].response;
            const version = Number(/W\/"(\d+)"/.exec(response.etag ?? "")?.[1]);
            if (entry.operation === "DELETE" && response.etag === undefined) continue;
            if (entry.pinned) expect(version, `${label}: transaction ${number} pinned ${ids[entry.target]}`).toBe(startVersions[entry.target]! + 1);
            claims.get(ids[entry.target]!)!.push({ transaction: number, version, ...(entry.operation === "PUT" ? { body: bundles[number]!.entry[position].resource } : {}) });
          }
        }

        for (const [target, id] of ids.entries()) {
          const start = startVersions[target]!;
          const written = claims
            .get(id)!
            .sort((a, b) => a.version - b.version)
            .filter((claim, index, sorted) => !repeatsDeletion(claim, sorted[index - 1]));
          expect(
            written.map((claim) => claim.version),
            `${label}: versions of ${id} that committed transactions report`,
          ).toEqual(written.map((_, index) => start + 1 + index));

          const history = await readHistory(api, "Patient", id);
          expectContiguous(history, `${label}: ${id}`);
          expect(history, `${label}: ${id}`).toHaveLength(start + written.length);
          for (const claim of written) {
            const entry = history[claim.version - 1]!;
            expect(entry.deleted, `${label}: ${id} version ${claim.version}`).toBe(claim.body === undefined);
            if (claim.body !== undefined) expect(content(entry.resource), `${label}: ${id} version ${claim.version}`).toEqual(claim.body);
          }

          await expectReadMatchesHistory(api, "Patient", id, history, label);
        }

        for (const [number, planned] of transactions.entries()) {
          const committed = results[number]!.status === 200;
          for (let index = 0; index < planned.creates; index++) {
            const created = await api.fhir("GET", `/Basic/${run}-t${number}-b${index}`);
            expect(created.status, `${label}: Basic ${index} of transaction ${number}`).toBe(committed ? 200 : 404);
            if (committed) expect(etagVersion(created)).toBe(1);
          }
        }
      }),
      runs(12),
    );

    expect(await api.findings()).toEqual([]);
  }, 120_000);
});
