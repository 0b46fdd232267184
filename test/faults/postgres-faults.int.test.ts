import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checkDatabase, createPostgresRepository, openPglite, openPostgres, type SqlClient } from "@flint/postgres";
import { createTestApp } from "../support/app.ts";
import { faultySqlClient, sqlError, type SqlFaultPlan } from "../support/sql-faults.ts";
import { expectReadsAgree, FLOWS, type Fhir } from "./flows.ts";

let schemas = 0;

/** Opens a fresh schema with a clean app and an app whose client injects `plan`'s faults. */
async function faultyApp(real: SqlClient, plan: SqlFaultPlan, admin?: SqlClient) {
  const schema = `faults_${process.pid}_${++schemas}`;
  const repository = await createPostgresRepository({ client: real, schema });
  const faulty = faultySqlClient(real, plan, admin);
  const clean = await createTestApp({ repository });
  const broken = await createTestApp({ repository: await createPostgresRepository({ client: faulty.client, schema }) });
  return { schema, clean: clean.fhir, broken: broken.fhir, counts: faulty.counts };
}

async function expectConsistent(real: SqlClient, schema: string, fhir: Fhir): Promise<void> {
  expect(await checkDatabase(real, schema), "database findings").toEqual([]);
  await expectReadsAgree(fhir);
}

/** Counts the statements that one run of a flow sends inside transactions. */
async function statementsOf(real: SqlClient, flowIndex: number): Promise<number> {
  const flow = FLOWS[flowIndex]!;
  let counting = false;
  let statements = 0;
  const { clean, broken } = await faultyApp(real, { statement: () => void (counting && statements++) });
  await flow.setup(clean, "probe");
  counting = true;
  await flow.send(broken, "probe");
  return statements;
}

/**
 * Injects `fault` once at every statement of every flow in turn, and checks that the write
 * still succeeds exactly once and leaves the database consistent.
 */
async function everyStatementOnce(real: SqlClient, fault: () => Error | "terminate", admin?: SqlClient): Promise<void> {
  for (const [index, flow] of FLOWS.entries()) {
    const total = await statementsOf(real, index);
    expect(total, flow.name).toBeGreaterThan(1);
    let target = 0;
    let seen = 0;
    const { schema, clean, broken } = await faultyApp(real, { statement: () => (target > 0 && ++seen === target ? fault() : undefined) }, admin);
    for (let step = 1; step <= total; step++) {
      const label = `s${step}`;
      target = 0;
      await flow.setup(clean, label);
      seen = 0;
      target = step;
      const result = await flow.send(broken, label);
      expect(flow.success, `${flow.name}, statement ${step}: ${result.status} ${result.text.slice(0, 200)}`).toContain(result.status);
      expect(await flow.state(clean, label), `${flow.name}, statement ${step}`).toBe("new");
    }
    await expectConsistent(real, schema, clean);
  }
}

describe.skipIf(inject("postgresUrl") === "")("PostgreSQL server faults", () => {
  let real: SqlClient;
  let admin: SqlClient;

  beforeAll(() => {
    const url = inject("postgresUrl");
    real = openPostgres(url, { max: 4 });
    admin = openPostgres(url, { max: 1 });
  });
  afterAll(async () => {
    await real?.close();
    await admin?.close();
  });

  it("serialization failure at every statement", () => everyStatementOnce(real, () => sqlError("40001")), 60_000);

  it("deadlock at every statement", () => everyStatementOnce(real, () => sqlError("40P01")), 60_000);

  it("lost connection at every statement", () => everyStatementOnce(real, () => sqlError("CONNECTION_CLOSED")), 60_000);

  it("terminated backend is retried", async () => {
    // A pool of its own: after backends were terminated at many statements in a row, the shared
    // pool of the postgres client (3.4.10) raised "Cannot read properties of null (reading 'write')"
    // outside any promise and later connects timed out. NOTE: that driver behaviour is not fixed here.
    const own = openPostgres(inject("postgresUrl"), { max: 2 });
    const flow = FLOWS[1]!;
    let armed = false;
    const { schema, clean, broken } = await faultyApp(own, { statement: (number) => (armed && number === 2 ? "terminate" : undefined) }, admin);
    await flow.setup(clean, "k");
    armed = true;
    const result = await flow.send(broken, "k");
    armed = false;
    expect(flow.success, `${result.status} ${result.text.slice(0, 200)}`).toContain(result.status);
    expect(await flow.state(clean, "k")).toBe("new");
    await expectConsistent(own, schema, clean);
    // sql.end() did not return after a terminated transaction when tried, so it is not awaited.
    void own.close();
  });

  it("lost connection gives 503, writes nothing", async () => {
    for (const flow of FLOWS) {
      let failing = false;
      const { schema, clean, broken } = await faultyApp(real, { statement: () => (failing ? sqlError("CONNECTION_CLOSED") : undefined) });
      await flow.setup(clean, "t");
      failing = true;
      const result = await flow.send(broken, "t");
      expect(result.status, `${flow.name}: ${result.text.slice(0, 200)}`).toBe(503);
      expect(result.headers.get("retry-after"), flow.name).toBe("1");
      expect(await flow.state(clean, "t"), flow.name).toBe("old");

      failing = false;
      const retried = await flow.send(broken, "t");
      expect(flow.success, `${flow.name} retried: ${retried.text.slice(0, 200)}`).toContain(retried.status);
      expect(await flow.state(clean, "t"), flow.name).toBe("new");
      await expectConsistent(real, schema, clean);
    }
  }, 60_000);

  it("endless deadlocks give 503", async () => {
    const flow = FLOWS[1]!;
    let failing = false;
    const { schema, clean, broken } = await faultyApp(real, { statement: () => (failing ? sqlError("40P01") : undefined) });
    await flow.setup(clean, "d");
    failing = true;
    const result = await flow.send(broken, "d");
    expect(result.status, result.text.slice(0, 200)).toBe(503);
    expect(result.headers.get("retry-after")).toBe("1");
    expect(await flow.state(clean, "d")).toBe("old");
    await expectConsistent(real, schema, clean);
  });

  it("lost COMMIT reply after commit", async () => {
    for (const flow of FLOWS) {
      let armed = false;
      const { schema, clean, broken } = await faultyApp(real, { end: () => (armed ? { error: sqlError("CONNECTION_CLOSED"), when: "commit" } : undefined) });
      await flow.setup(clean, "c");
      armed = true;
      const result = await flow.send(broken, "c");
      expect(flow.success, `${flow.name}: ${result.status} ${result.text.slice(0, 200)}`).toContain(result.status);
      expect(await flow.state(clean, "c"), flow.name).toBe("new");
      await expectConsistent(real, schema, clean);
    }
  }, 60_000);

  it("lost COMMIT reply, not committed", async () => {
    for (const flow of FLOWS) {
      let armed = false;
      const { schema, clean, broken } = await faultyApp(real, { end: () => (armed ? { error: sqlError("CONNECTION_CLOSED"), when: "rollback" } : undefined) });
      await flow.setup(clean, "r");
      armed = true;
      const result = await flow.send(broken, "r");
      expect(result.status, `${flow.name}: ${result.text.slice(0, 200)}`).toBe(503);
      expect(result.headers.get("retry-after")).toBe("1");
      expect(await flow.state(clean, "r"), `${flow.name}: the write is not run again`).toBe("old");
      await expectConsistent(real, schema, clean);
    }
  }, 60_000);
});

describe("PGlite faults", () => {
  let real: SqlClient;
  beforeAll(async () => {
    real = await openPglite();
  });
  afterAll(() => real.close());

  it("injected conflicts are retried", async () => {
    for (const code of ["40001", "40P01"]) {
      for (const flow of [FLOWS[1]!, FLOWS[4]!]) {
        let armed = false;
        let failures = 2;
        const { schema, clean, broken } = await faultyApp(real, { statement: (number) => (armed && number % 2 === 0 && failures-- > 0 ? sqlError(code) : undefined) });
        await flow.setup(clean, "p");
        armed = true;
        const result = await flow.send(broken, "p");
        expect(flow.success, `${code} ${flow.name}: ${result.text.slice(0, 200)}`).toContain(result.status);
        expect(await flow.state(clean, "p"), `${code} ${flow.name}`).toBe("new");
        await expectConsistent(real, schema, clean);
      }
    }
  });

  it("lost reply after commit", async () => {
    const flow = FLOWS[1]!;
    let armed = false;
    const { schema, clean, broken } = await faultyApp(real, { end: () => (armed ? { error: sqlError("ECONNRESET"), when: "commit" } : undefined) });
    await flow.setup(clean, "c");
    armed = true;
    const result = await flow.send(broken, "c");
    expect(result.status, result.text.slice(0, 200)).toBe(200);
    expect(await flow.state(clean, "c")).toBe("new");
    await expectConsistent(real, schema, clean);
  });
});
