import { describe, expect, it } from "vitest";
import { awsError, conflictError } from "../support/faults.ts";
import { expectAgreement, faultyApp, FLOWS, LARGE_FLOW, recoverLater } from "./flows.ts";

describe("overloaded DynamoDB", () => {
  for (const name of ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]) {
    it(`${name} gives 503, writes nothing`, async () => {
      for (const flow of FLOWS) {
        let failing = false;
        const { client, tableName, clean, broken } = await faultyApp(({ write }) => (failing && write !== undefined ? { before: awsError(name) } : undefined));
        await flow.setup(clean, "t");
        failing = true;

        const result = await flow.send(broken, "t");
        expect(result.status, `${flow.name}: ${result.text.slice(0, 200)}`).toBe(503);
        expect(result.headers.get("retry-after"), flow.name).toBe("1");
        expect(result.json.issue[0].code).toBe("transient");
        expect(await flow.state(clean, "t"), flow.name).toBe("old");

        failing = false;
        await recoverLater(client, tableName);
        await expectAgreement(clean, client, tableName);
        const retried = await flow.send(broken, "t");
        expect(flow.success, `${flow.name} retried: ${retried.text.slice(0, 200)}`).toContain(retried.status);
        expect(await flow.state(clean, "t"), flow.name).toBe("new");
      }
    }, 60_000);
  }

  it("throttling from any large-transaction step", async () => {
    const probe = await faultyApp(() => undefined);
    await FLOWS[LARGE_FLOW]!.send(probe.broken, "probe");
    const writes = probe.counts.writes;

    for (let step = 1; step <= writes; step++) {
      let failing = true;
      const { client, tableName, clean, broken } = await faultyApp(({ write }) => (failing && write !== undefined && write >= step ? { before: awsError("ThrottlingException") } : undefined));
      const label = `t${step}`;
      const result = await FLOWS[LARGE_FLOW]!.send(broken, label);
      expect([200, 503], `write ${step}: ${result.text.slice(0, 200)}`).toContain(result.status);
      const before = await FLOWS[LARGE_FLOW]!.state(clean, label);
      expect(before, `write ${step}: readers before recovery`).toBe(result.status === 200 ? "new" : "old");

      failing = false;
      await recoverLater(client, tableName);
      expect(await FLOWS[LARGE_FLOW]!.state(clean, label), `write ${step}: readers after recovery`).toBe(before);
      await expectAgreement(clean, client, tableName);
    }
  }, 60_000);
});

describe("transaction conflicts", () => {
  it("pinned update retries, no 412", async () => {
    let conflicts = 0;
    const { client, tableName, clean, broken } = await faultyApp(({ command }) => (command === "TransactWriteCommand" && conflicts > 0 && conflicts-- > 0 ? { before: conflictError() } : undefined));
    await FLOWS[1]!.setup(clean, "c");
    conflicts = 4;
    const result = await FLOWS[1]!.send(broken, "c");
    expect(result.status, result.text.slice(0, 200)).toBe(200);
    expect(await FLOWS[1]!.state(clean, "c")).toBe("new");
    await expectAgreement(clean, client, tableName);
  });

  it("endless conflicts give 503", async () => {
    for (const flow of FLOWS) {
      let failing = false;
      const { client, tableName, clean, broken } = await faultyApp(({ command }) => (failing && command === "TransactWriteCommand" ? { before: conflictError() } : undefined));
      await flow.setup(clean, "x");
      failing = true;
      const result = await flow.send(broken, "x");
      expect(result.status, `${flow.name}: ${result.text.slice(0, 200)}`).toBe(503);
      expect(result.headers.get("retry-after")).toBe("1");
      failing = false;
      await recoverLater(client, tableName);
      expect(await flow.state(clean, "x"), flow.name).toBe("old");
      await expectAgreement(clean, client, tableName);
    }
  }, 60_000);
});
