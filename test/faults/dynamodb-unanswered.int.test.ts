import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient, DynamoDbRepository } from "@flint/dynamodb";
import { createTestApp } from "../support/app.ts";
import { abortError, socketError, timeoutError, type Fault } from "../support/faults.ts";
import { expectAgreement, faultyApp, FLOWS, LARGE_FLOW } from "./flows.ts";

const UNANSWERED: Array<[string, () => Fault]> = [
  ["ECONNRESET after apply", () => ({ after: socketError("ECONNRESET") })],
  ["timeout after apply", () => ({ after: timeoutError() })],
  ["timeout before send", () => ({ before: timeoutError() })],
  ["abort before send", () => ({ before: abortError() })],
];

describe("unanswered DynamoDB calls", () => {
  for (const flow of FLOWS) {
    it(`${flow.name}: retried once, applied once`, async () => {
      for (const [label, fault] of UNANSWERED) {
        const tag = label.replace(/\W+/g, "-");
        let armed = false;
        const { client, tableName, clean, broken } = await faultyApp(({ write }) => (armed && write === 1 ? fault() : undefined));
        await flow.setup(clean, tag);
        armed = true;

        const result = await flow.send(broken, tag);
        expect(flow.success, `${label}: ${result.status} ${result.text.slice(0, 200)}`).toContain(result.status);
        expect(await flow.state(clean, tag), label).toBe("new");
        await expectAgreement(clean, client, tableName);
      }
    }, 60_000);
  }

  it("every write of a large transaction", async () => {
    const probe = await faultyApp(() => undefined);
    await FLOWS[LARGE_FLOW]!.send(probe.broken, "probe");
    const writes = probe.counts.writes;
    expect(writes).toBeGreaterThan(8);

    for (let step = 1; step <= writes; step++) {
      const { client, tableName, clean, broken } = await faultyApp(({ write }) => (write === step ? { after: socketError("ECONNRESET") } : undefined));
      const result = await FLOWS[LARGE_FLOW]!.send(broken, `s${step}`);
      expect(result.status, `write ${step}: ${result.text.slice(0, 200)}`).toBe(200);
      expect(await FLOWS[LARGE_FLOW]!.state(clean, `s${step}`), `write ${step}`).toBe("new");
      await expectAgreement(clean, client, tableName);
    }
  }, 60_000);

  it("lost answers on every retry", async () => {
    for (const flow of FLOWS.slice(0, 5)) {
      let armed = false;
      const { client, tableName, clean, broken } = await faultyApp(({ write }) => (armed && write !== undefined ? { after: socketError("ECONNRESET") } : undefined));
      await flow.setup(clean, "lost");
      armed = true;
      const result = await flow.send(broken, "lost");
      expect(flow.success, `${flow.name}: ${result.status} ${result.text.slice(0, 200)}`).toContain(result.status);
      expect(await flow.state(clean, "lost"), flow.name).toBe("new");
      await expectAgreement(clean, client, tableName);
    }
  }, 60_000);
});

describe("DynamoDB that never responds", () => {
  let server: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    // Accepts connections and never responds, like a store that hangs.
    server = createServer((socket) => void sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("request timeout gives 503", async () => {
    const client = createDocumentClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      requestHandler: { requestTimeout: 200, connectionTimeout: 200, throwOnRequestTimeout: true },
      maxAttempts: 2,
    });
    const { fhir } = await createTestApp({ repository: new DynamoDbRepository({ client, tableName: "silent" }) });
    const started = Date.now();
    const result = await fhir("GET", "/Patient/p1");
    expect(result.status).toBe(503);
    expect(result.headers.get("retry-after")).toBe("1");
    expect(Date.now() - started).toBeLessThan(10_000);
    client.destroy();
  });
});
