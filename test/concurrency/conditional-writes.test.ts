import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { FhirResult } from "../support/app.ts";
import { content, etagVersion, expectContiguous, expectReadMatchesHistory, nextRunId, readHistory, runs, searchIds, startStore, type Api } from "./harness.ts";

let api: Awaited<ReturnType<typeof startStore>>;
beforeAll(async () => {
  api = await startStore();
});

/** A conditional write as a plain request or as the only entry of a transaction Bundle. */
type Kind = "create" | "update" | "transaction create" | "transaction update";

/** Result of one request: its status (a transaction's entry status when it committed) and the version it names. */
interface Outcome {
  kind: Kind;
  body: any;
  status: number;
  id?: string;
  version?: number;
  text: string;
}

const workload = fc.record({
  exists: fc.boolean(),
  kinds: fc.array(fc.constantFrom<Kind>("create", "update", "transaction create", "transaction update"), { minLength: 2, maxLength: 12 }),
});

async function sendConditionalWrite(api: Api, kind: Kind, body: any, criteria: string): Promise<Outcome> {
  let result: FhirResult;
  switch (kind) {
    case "create":
      result = await api.fhir("POST", "/Patient", { body, headers: { "if-none-exist": criteria } });
      return { kind, body, status: result.status, id: result.json?.id, version: etagVersion(result), text: result.text };
    case "update":
      result = await api.fhir("PUT", `/Patient?${criteria}`, { body });
      return { kind, body, status: result.status, id: result.json?.id, version: etagVersion(result), text: result.text };
    case "transaction create":
    case "transaction update": {
      const request = kind === "transaction create" ? { method: "POST", url: "Patient", ifNoneExist: criteria } : { method: "PUT", url: `Patient?${criteria}` };
      result = await api.fhir("POST", "", { body: { resourceType: "Bundle", type: "transaction", entry: [{ resource: body, request }] } });
      if (result.status !== 200) return { kind, body, status: result.status, text: result.text };
      const response = result.json.entry[0].response;
      const location = /^Patient\/([^/]+)\/_history\/(\d+)$/.exec(response.location ?? "");
      return { kind, body, status: Number(response.status.slice(0, 3)), id: location?.[1], version: Number(location?.[2]), text: result.text };
    }
  }
}

describe("parallel conditional writes", () => {
  it("identical criteria make one resource", async () => {
    await fc.assert(
      fc.asyncProperty(workload, async ({ exists, kinds }) => {
        const value = nextRunId("cond");
        const identifier = [{ system: "urn:example:race", value }];
        const criteria = `identifier=urn:example:race|${value}`;
        let existingId: string | undefined;
        if (exists) existingId = (await api.createResource({ resourceType: "Patient", identifier, name: [{ family: "Before" }] })).id;

        const outcomes = await Promise.all(kinds.map((kind, index) => sendConditionalWrite(api, kind, { resourceType: "Patient", identifier, name: [{ family: `W${index}` }] }, criteria)));

        const label = outcomes.map((outcome) => `${outcome.kind}: ${outcome.status}`).join(", ");
        // No request sends If-Match, so none may fail with 412: a lost race is a 409.
        for (const outcome of outcomes) expect([200, 201, 409], `${label}\n${outcome.text}`).toContain(outcome.status);
        const matches = await searchIds(api, "Patient", criteria);
        expect(matches, label).toHaveLength(1);
        const id = matches[0]!;
        if (existingId !== undefined) expect(id, label).toBe(existingId);

        const succeeded = outcomes.filter((outcome) => outcome.status === 200 || outcome.status === 201);
        for (const outcome of succeeded) expect(outcome.id, `${label}: every success names the one match`).toBe(id);
        const created = succeeded.filter((outcome) => outcome.status === 201);
        expect(created, label).toHaveLength(exists ? 0 : 1);
        const writes = succeeded.filter((outcome) => outcome.status === 201 || outcome.kind.endsWith("update"));

        const history = await readHistory(api, "Patient", id);
        expectContiguous(history, label);
        expect(history, label).toHaveLength((exists ? 1 : 0) + writes.length);
        expect(
          writes.map((outcome) => outcome.version).sort((a, b) => a! - b!),
          `${label}: versions written`,
        ).toEqual(writes.map((_, index) => (exists ? 2 : 1) + index));
        for (const outcome of writes) expect(content(history[outcome.version! - 1]!.resource), label).toEqual({ ...outcome.body, id });
        for (const outcome of succeeded.filter((other) => !writes.includes(other))) {
          expect(outcome.version, `${label}: a matched create returns a stored version`).toBeLessThanOrEqual(history.length);
        }
        await expectReadMatchesHistory(api, "Patient", id, history, label);
      }),
      runs(20),
    );

    expect(await api.findings()).toEqual([]);
  }, 90_000);
});
