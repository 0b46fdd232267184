import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { findFreePort, operationOutcome, responseBundle, type ScriptedServer, type ScriptStep, startScriptedServer } from "../test/scripted-server.ts";
import type { HttpDependencies, RetryEvent } from "./client.ts";
import type { BundleFile } from "./files.ts";
import { type BundleResult, loadBundle, type LoadContext } from "./load-bundle.ts";
import { exitCodeFor, formatSummary } from "./summary.ts";

const patient = { fullUrl: "urn:uuid:1", resource: { resourceType: "Patient", birthDate: "1970-01-01" }, request: { method: "POST", url: "Patient" } };
const observation = {
  resource: { resourceType: "Observation", status: "final", valueQuantity: { value: 1.5 } },
  request: { method: "PUT", url: "Observation/o1" },
};
const organization = { resource: { resourceType: "Organization", name: "Clinic" }, request: { method: "POST", url: "Organization", ifNoneExist: "identifier=x|1" } };

/** Observation text with a decimal that JSON.stringify would rewrite as 1.5. */
const observationText = JSON.stringify(observation).replace('"value":1.5', '"value":1.50');

let folder: string;
let server: ScriptedServer | undefined;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "flint-loader-client-"));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Writes a bundle file whose second entry keeps the decimal 1.50 as written. */
async function writeBundle(name: string, type: "batch" | "transaction"): Promise<{ file: BundleFile; text: string }> {
  const text = `{"resourceType":"Bundle","type":"${type}","entry":[${JSON.stringify(patient)},\n  ${observationText},${JSON.stringify(organization)}]}`;
  const path = join(folder, name);
  await writeFile(path, text);
  return { file: { path, type, entryCount: 3 }, text };
}

/** Dependencies with real fetch and a sleep that records the delay instead of waiting. */
function recordingHttp(sleeps: number[], onSleep?: () => Promise<void>): HttpDependencies {
  return {
    fetch: (input, init) => fetch(input, init),
    sleep: async (ms) => {
      sleeps.push(ms);
      await onSleep?.();
    },
    random: () => 0,
    now: () => Date.parse("2025-01-01T00:00:00Z"),
  };
}

async function load(file: BundleFile, script: readonly ScriptStep[], options: { timeoutMs?: number } = {}) {
  server = await startScriptedServer(script);
  const sleeps: number[] = [];
  const retries: RetryEvent[] = [];
  const resent: number[] = [];
  const context: LoadContext = {
    baseUrl: server.baseUrl,
    timeoutMs: options.timeoutMs ?? 5000,
    http: recordingHttp(sleeps),
    onRetry: (event) => retries.push(event),
    onResend: (count) => resent.push(count),
  };
  const result = await loadBundle(file, context);
  return { result, sleeps, retries, resent, requests: server.requests };
}

function outcomes(result: BundleResult): string[] {
  return result.entries.map((entry) => entry.outcome);
}

describe("loadBundle", () => {
  it("posts the file unchanged with FHIR headers", async () => {
    const { file, text } = await writeBundle("headers.json", "transaction");

    const { result, requests } = await load(file, [{ status: 200, body: responseBundle("transaction-response", ["201 Created", "200 OK", "200 OK"]) }]);

    expect(requests).toHaveLength(1);
    expect(requests[0]?.method).toBe("POST");
    expect(requests[0]?.url).toBe("/fhir");
    expect(requests[0]?.headers["content-type"]).toBe("application/fhir+json");
    expect(requests[0]?.headers["accept"]).toBe("application/fhir+json");
    expect(requests[0]?.headers["prefer"]).toBe("return=minimal");
    expect(requests[0]?.body.toString("utf8")).toBe(text);
    expect(outcomes(result)).toEqual(["created", "updated", "existing"]);
    expect(result.failure).toBeUndefined();
  });

  it("retries after 503 with the Retry-After delay", async () => {
    const { file, text } = await writeBundle("retry-503.json", "transaction");

    const { result, requests, sleeps, retries } = await load(file, [
      { status: 503, headers: { "Retry-After": "2" }, body: operationOutcome("store is busy") },
      { status: 200, body: responseBundle("transaction-response", ["201", "201", "201"]) },
    ]);

    expect(requests).toHaveLength(2);
    expect(requests[1]?.body.toString("utf8")).toBe(text);
    expect(sleeps).toEqual([2000]);
    expect(retries).toEqual([{ reason: "503", attempt: 1, delayMs: 2000 }]);
    expect(outcomes(result)).toEqual(["created", "created", "created"]);
  });

  it("retries after 429 with backoff when Retry-After is missing", async () => {
    const { file } = await writeBundle("retry-429.json", "batch");

    const { result, sleeps } = await load(file, [
      { status: 429 },
      { status: 429 },
      { status: 200, body: responseBundle("batch-response", ["201", "201", "201"]) },
    ]);

    expect(sleeps).toEqual([250, 500]);
    expect(outcomes(result)).toEqual(["created", "created", "created"]);
  });

  it("gives up on 503 after five attempts", async () => {
    const { file } = await writeBundle("always-503.json", "transaction");

    const { result, requests } = await load(file, [{ status: 503, headers: { "Retry-After": "1" } }]);

    expect(requests).toHaveLength(5);
    expect(result.failure).toEqual({ kind: "rejected", status: "503 Service Unavailable", message: "no OperationOutcome in the response after 5 attempts" });
    expect(outcomes(result)).toEqual(["failed", "failed", "failed"]);
  });

  it("does not retry a connection reset after the body was read", async () => {
    const { file } = await writeBundle("reset.json", "transaction");

    const { result, requests, retries } = await load(file, ["reset", { status: 200, body: responseBundle("transaction-response", ["201", "201", "201"]) }]);

    expect(requests).toHaveLength(1);
    expect(retries).toEqual([]);
    expect(result.failure?.kind).toBe("unknown");
    expect(result.failure?.message).toMatch(/^the connection was lost before a response arrived/);
    expect(formatSummary({ results: [result], elapsedMs: 1000, retries: {}, resentEntries: 0, unsent: { bundles: 0, entries: 0 } })).toContain(
      `${file.path}: transaction outcome unknown: the connection was lost before a response arrived`,
    );
  });

  it("does not retry after a timeout", async () => {
    const { file } = await writeBundle("timeout.json", "batch");

    const { result, requests } = await load(file, ["hang", { status: 200, body: responseBundle("batch-response", ["201", "201", "201"]) }], { timeoutMs: 300 });

    expect(requests).toHaveLength(1);
    expect(result.failure).toEqual({ kind: "unknown", message: "no response within 0.3 s" });
  });

  it("re-sends only the batch entry that got 503", async () => {
    const { file } = await writeBundle("entry-503.json", "batch");

    const { result, requests, sleeps, resent } = await load(file, [
      { status: 200, body: responseBundle("batch-response", ["201 Created", "503 Service Unavailable", "200 OK"]) },
      { status: 200, body: responseBundle("batch-response", ["200 OK"]) },
    ]);

    expect(requests).toHaveLength(2);
    expect(requests[1]?.body.toString("utf8")).toBe(`{"resourceType":"Bundle","type":"batch","entry":[${observationText}]}`);
    expect(sleeps).toEqual([250]);
    expect(resent).toEqual([1]);
    expect(outcomes(result)).toEqual(["created", "updated", "existing"]);
    expect(result.failure).toBeUndefined();
  });

  it("keeps batch entries that stay unavailable as failed", async () => {
    const { file } = await writeBundle("entry-503-always.json", "batch");

    const { result, requests } = await load(file, [
      { status: 200, body: responseBundle("batch-response", ["201", "429", "201"]) },
      { status: 200, body: responseBundle("batch-response", ["429 Too Many Requests"]) },
    ]);

    expect(requests).toHaveLength(5);
    expect(outcomes(result)).toEqual(["created", "failed", "created"]);
    expect(result.entries[1]).toEqual({
      index: 1,
      resourceType: "Observation",
      outcome: "failed",
      status: "429 Too Many Requests",
      message: "still unavailable after 5 attempts",
    });
  });

  it("reports failed batch entries with their diagnostics", async () => {
    const { file } = await writeBundle("entry-failed.json", "batch");

    const { result, requests } = await load(file, [
      {
        status: 200,
        body: responseBundle("batch-response", ["201", { status: "412 Precondition Failed", outcome: operationOutcome("version 2 is not the current version 3") }, "201"]),
      },
    ]);

    expect(requests).toHaveLength(1);
    expect(result.entries[1]).toEqual({
      index: 1,
      resourceType: "Observation",
      outcome: "failed",
      status: "412 Precondition Failed",
      message: "version 2 is not the current version 3",
    });
  });

  it("reports a failed transaction with file and diagnostics", async () => {
    const { file } = await writeBundle("transaction-412.json", "transaction");

    const { result, requests } = await load(file, [{ status: 412, body: operationOutcome("version conflict on Observation/o1", "Bundle.entry[1]") }]);
    const report = { results: [result], elapsedMs: 1000, retries: {}, resentEntries: 0, unsent: { bundles: 0, entries: 0 } };

    expect(requests).toHaveLength(1);
    expect(result.failure).toEqual({ kind: "rejected", status: "412 Precondition Failed", message: "entry 1 (Observation): version conflict on Observation/o1" });
    expect(formatSummary(report)).toContain(
      `${file.path}: transaction rejected: 412 Precondition Failed: entry 1 (Observation): version conflict on Observation/o1`,
    );
    expect(exitCodeFor(report)).toBe(1);
  });

  it("does not retry 413", async () => {
    const { file } = await writeBundle("too-large.json", "batch");

    const { result, requests } = await load(file, [{ status: 413, body: operationOutcome("the body is larger than 6291456 bytes") }]);

    expect(requests).toHaveLength(1);
    expect(result.failure).toEqual({ kind: "rejected", status: "413 Payload Too Large", message: "the body is larger than 6291456 bytes" });
  });

  it("treats a response with the wrong entry count as outcome unknown", async () => {
    const { file } = await writeBundle("short-response.json", "batch");

    const { result } = await load(file, [{ status: 200, body: responseBundle("batch-response", ["201"]) }]);

    expect(result.failure).toEqual({ kind: "unknown", message: "the server responded 200 OK with a Bundle of 1 entry for 3 request entries" });
  });

  it("retries a refused connection until the server is up", async () => {
    const { file } = await writeBundle("refused.json", "transaction");
    const port = await findFreePort();
    const sleeps: number[] = [];
    const http = recordingHttp(sleeps, async () => {
      if (server === undefined) server = await startScriptedServer([{ status: 200, body: responseBundle("transaction-response", ["201", "201", "201"]) }], port);
    });

    const result = await loadBundle(file, { baseUrl: `http://127.0.0.1:${port}/fhir`, timeoutMs: 5000, http });

    expect(sleeps).toEqual([250]);
    expect(server?.requests).toHaveLength(1);
    expect(outcomes(result)).toEqual(["created", "created", "created"]);
  });

  it("reports a refused connection as not sent after five attempts", async () => {
    const { file } = await writeBundle("refused-always.json", "batch");
    const port = await findFreePort();
    const sleeps: number[] = [];

    const result = await loadBundle(file, { baseUrl: `http://127.0.0.1:${port}/fhir`, timeoutMs: 5000, http: recordingHttp(sleeps) });

    expect(sleeps).toEqual([250, 500, 1000, 2000]);
    expect(result.failure).toEqual({
      kind: "not-sent",
      message: `connection refused by http://127.0.0.1:${port}; is the server running? (5 attempts)`,
    });
  });

  it("reports a file that disappeared before it was sent", async () => {
    const result = await loadBundle({ path: join(folder, "gone.json"), type: "batch", entryCount: 1 }, { baseUrl: "http://127.0.0.1:9/fhir", timeoutMs: 1000, http: recordingHttp([]) });

    expect(result.failure).toEqual({ kind: "unreadable", message: "not found" });
  });
});
