import { describe, expect, it } from "vitest";
import { DynamoDbRepository } from "@flint/dynamodb";
import { createTestRepository } from "../setup/dynamodb.ts";
import { createTestApp } from "../support/app.ts";
import { crashingClient } from "../support/faults.ts";
import { expectAgreement, faultyApp, FLOWS, LARGE_FLOW, recoverLater } from "./flows.ts";

/** Flows that commit in one `TransactWriteItems`; the large one is covered by transaction-crash. */
const SMALL_FLOWS = FLOWS.filter((_, index) => index !== LARGE_FLOW);

describe("crash during a small write", () => {
  for (const flow of SMALL_FLOWS) {
    it(`${flow.name}: all or nothing`, async () => {
      const probe = await faultyApp(() => undefined);
      await flow.setup(probe.clean, "probe");
      const before = probe.counts.writes;
      await flow.send(probe.broken, "probe");
      const writes = probe.counts.writes - before;
      expect(writes, flow.name).toBeGreaterThan(0);

      for (let atWrite = 1; atWrite <= writes; atWrite++) {
        for (const when of ["before", "after"] as const) {
          const label = `${when}-${atWrite}`;
          const { client, tableName } = await createTestRepository();
          const { fhir: clean } = await createTestApp({ repository: new DynamoDbRepository({ client, tableName }) });
          await flow.setup(clean, label);
          const crashing = crashingClient(client, { atWrite, when });
          const { fhir: dying } = await createTestApp({ repository: new DynamoDbRepository({ client: crashing.client, tableName }) });

          const response = await flow.send(dying, label);
          expect(crashing.state.crashed, `${label}: ${response.status}`).toBe(true);
          const seen = await flow.state(clean, label);
          expect(seen, `${label}: readers before recovery`).toBe(when === "before" ? "old" : "new");

          await recoverLater(client, tableName);
          expect(await flow.state(clean, label), `${label}: readers after recovery`).toBe(seen);
          await expectAgreement(clean, client, tableName);
        }
      }
    }, 60_000);
  }
});
