import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { findFreePort } from "@flint/dynamodb";
import type { ChildRuntime } from "../../packages/server/src/runtimes.ts";
import { interrupt, isRunning, portAnswers, runtimeUnavailableReason, startFlint, waitForListening, type FlintProcess } from "./server.ts";

const FHIR_JSON = "application/fhir+json";

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

interface RequestOptions {
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string;
}

type FhirClient = (method: string, url: string, options?: RequestOptions) => Promise<Reply>;

/** Prints the server's error log lines after a failed test, because a 500 reply names only a request id. */
function reportServerErrors(flint: () => FlintProcess | undefined): void {
  afterEach((context) => {
    if (context.task.result?.state !== "fail") return;
    const errors = flint()?.output().split("\n").filter((line) => line.includes('"level":"error"')) ?? [];
    if (errors.length > 0) console.error(`Server errors:\n${errors.join("\n")}`);
  });
}

/** Sends one request to the server at `base`; `url` is a path below it or an absolute link. */
async function request(base: string, method: string, url: string, options: RequestOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.raw;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= FHIR_JSON;
  }
  const response = await fetch(url.startsWith("http") ? url : `${base}${url}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text === "" ? undefined : JSON.parse(text) };
}

/** Creates five patients of one family and follows `next` links at two per page; returns their ids and the page count. */
async function pageThroughNewPatients(fhir: FhirClient, base: string, family: string): Promise<{ ids: string[]; pages: number }> {
  for (let index = 0; index < 5; index++) {
    expect((await fhir("POST", "/Patient", { body: { resourceType: "Patient", name: [{ family, given: [`P${index}`] }] } })).status).toBe(201);
  }

  const ids: string[] = [];
  let url: string | undefined = `/Patient?family=${family}&_count=2`;
  let pages = 0;
  while (url !== undefined) {
    const page = await fhir("GET", url);
    expect(page.status, page.text).toBe(200);
    expect(page.json.type).toBe("searchset");
    const links = new Map<string, string>(page.json.link.map((link: { relation: string; url: string }) => [link.relation, link.url]));
    if (pages > 0) expect(links.get("previous")).toMatch(new RegExp(`^${base}/Patient\\?`));
    ids.push(...(page.json.entry ?? []).map((entry: { resource: { id: string } }) => entry.resource.id));
    url = links.get("next");
    if (url !== undefined) expect(url.startsWith(`${base}/Patient?`)).toBe(true);
    pages++;
    expect(pages).toBeLessThanOrEqual(5);
  }
  return { ids, pages };
}

/**
 * Posts a transaction with a `urn:uuid` reference and a conditional create, which hashes its
 * criteria with node:crypto in both stores, and checks the reference was rewritten.
 */
async function checkTransaction(fhir: FhirClient): Promise<void> {
  const patientUrl = "urn:uuid:6c1a4b2e-0a51-4d8f-9a51-3f1f4b1d9e01";
  const identifier = { system: "urn:example:runtime", value: String(Date.now()) };
  const bundle = {
    resourceType: "Bundle",
    type: "transaction",
    entry: [
      {
        fullUrl: patientUrl,
        resource: { resourceType: "Patient", identifier: [identifier], name: [{ family: "Transaktion" }] },
        request: { method: "POST", url: "Patient", ifNoneExist: `identifier=${identifier.system}|${identifier.value}` },
      },
      {
        resource: { resourceType: "Observation", status: "final", code: { text: "pulse" }, subject: { reference: patientUrl } },
        request: { method: "POST", url: "Observation" },
      },
    ],
  };

  const reply = await fhir("POST", "", { body: bundle });
  expect(reply.status, reply.text).toBe(200);
  expect(reply.json.type).toBe("transaction-response");
  expect(reply.json.entry.map((entry: { response: { status: string } }) => entry.response.status)).toEqual(["201 Created", "201 Created"]);

  const patientId = /Patient\/([^/]+)/.exec(reply.json.entry[0].response.location)?.[1];
  const observationId = /Observation\/([^/]+)/.exec(reply.json.entry[1].response.location)?.[1];
  const observation = await fhir("GET", `/Observation/${observationId}`);
  expect(observation.json.subject.reference).toBe(`Patient/${patientId}`);

  const again = await fhir("POST", "", { body: { ...bundle, entry: [bundle.entry[0]] } });
  expect(again.status, again.text).toBe(200);
  expect(again.json.entry[0].response.status).toBe("200 OK");
}

/**
 * Runs `FLINT_RUNTIME=<runtime> npm start` against the run's DynamoDB Local with a fresh table,
 * and checks the main FHIR interactions over real HTTP on 127.0.0.1. Then runs it on the run's
 * PostgreSQL server, and once with a DynamoDB Local of its own. Skips with the reason when the
 * runtime binary cannot run on this machine.
 */
export function describeRuntimeServer(runtime: ChildRuntime): void {
  const unavailable = runtimeUnavailableReason(runtime);
  if (unavailable !== undefined) {
    console.warn(`Skipping the ${runtime} server tests: ${unavailable}`);
    describe(`${runtime} server`, () => it.skip(`needs a ${runtime} binary that runs here (${unavailable})`, () => {}));
    return;
  }

  describe(`${runtime} server`, () => {
    let flint: FlintProcess;
    let childPid: number;
    let port: number;
    let base: string;
    const dataDir = mkdtempSync(path.join(tmpdir(), `flint-${runtime}-`));

    const fhir: FhirClient = (method, url, options) => request(base, method, url, options);
    reportServerErrors(() => flint);

    beforeAll(async () => {
      port = await findFreePort();
      base = `http://127.0.0.1:${port}/fhir`;
      flint = startFlint(runtime, {
        PORT: String(port),
        FLINT_STORE: "dynamodb-local",
        DYNAMODB_ENDPOINT: inject("dynamoDbEndpoint"),
        FLINT_TABLE: `flint-${runtime}-${process.pid}-${Date.now()}`,
        FLINT_DATA_DIR: dataDir,
      });
      childPid = await waitForListening(flint);
    });

    afterAll(async () => {
      await interrupt(flint);
      if (childPid !== undefined && isRunning(childPid)) process.kill(childPid, "SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("serves on the requested runtime", () => {
      expect(flint.output()).toContain(`"event":"listening","url":"${base}","store":"dynamodb-local","runtime":"${runtime}"`);
      expect(childPid).not.toBe(flint.parent.pid);
    });

    it("returns the CapabilityStatement", async () => {
      const reply = await fhir("GET", "/metadata");

      expect(reply.status).toBe(200);
      expect(reply.headers.get("content-type")).toMatch(/^application\/fhir\+json/);
      expect(reply.json.resourceType).toBe("CapabilityStatement");
      expect(reply.json.fhirVersion).toBe("4.0.1");
      expect(reply.json.rest[0].resource.some((entry: { type: string }) => entry.type === "Patient")).toBe(true);
    });

    it("creates, reads, updates and deletes with ETags", async () => {
      const created = await fhir("POST", "/Patient", { body: { resourceType: "Patient", name: [{ family: "Kowalski" }] } });
      expect(created.status).toBe(201);
      expect(created.headers.get("etag")).toBe('W/"1"');
      const id: string = created.json.id;
      expect(created.headers.get("location")).toBe(`${base}/Patient/${id}/_history/1`);

      const read = await fhir("GET", `/Patient/${id}`);
      expect(read.status).toBe(200);
      expect(read.headers.get("etag")).toBe('W/"1"');
      expect(read.json.name[0].family).toBe("Kowalski");
      expect((await fhir("GET", `/Patient/${id}`, { headers: { "if-none-match": 'W/"1"' } })).status).toBe(304);

      const updated = await fhir("PUT", `/Patient/${id}`, { headers: { "if-match": 'W/"1"' }, body: { resourceType: "Patient", id, name: [{ family: "Nowak" }] } });
      expect(updated.status).toBe(200);
      expect(updated.headers.get("etag")).toBe('W/"2"');
      expect(updated.json.meta.versionId).toBe("2");

      const stale = await fhir("PUT", `/Patient/${id}`, { headers: { "if-match": 'W/"1"' }, body: { resourceType: "Patient", id, active: false } });
      expect(stale.status).toBe(412);
      expect(stale.json.resourceType).toBe("OperationOutcome");

      const deleted = await fhir("DELETE", `/Patient/${id}`);
      expect(deleted.status).toBe(204);
      expect((await fhir("GET", `/Patient/${id}`)).status).toBe(410);
      expect((await fhir("GET", `/Patient/${id}/_history/2`)).json.name[0].family).toBe("Nowak");
    });

    it("keeps decimals and Unicode as sent", async () => {
      const raw = '{"resourceType":"Observation","status":"final","code":{"text":"Körpergewicht 体重 🏋"},"valueQuantity":{"value":72.50,"unit":"kg"}}';
      const created = await fhir("POST", "/Observation", { raw, headers: { "content-type": FHIR_JSON } });
      expect(created.status).toBe(201);

      const read = await fhir("GET", `/Observation/${created.json.id}`);
      expect(read.text).toContain('"value":72.50');
      expect(read.json.code.text).toBe("Körpergewicht 体重 🏋");
    });

    it("finds a token longer than an index key", async () => {
      // Index keys over 512 characters are replaced by their SHA-256 hash (node:crypto).
      const value = `${Date.now()}-${"x".repeat(600)}`;
      const created = await fhir("POST", "/Patient", { body: { resourceType: "Patient", identifier: [{ system: "urn:example:long", value }] } });
      expect(created.status).toBe(201);

      const found = await fhir("GET", `/Patient?identifier=urn:example:long|${value}`);
      expect(found.status, found.text).toBe(200);
      expect(found.json.entry.map((entry: { resource: { id: string } }) => entry.resource.id)).toEqual([created.json.id]);
    });

    it("pages search results with next and previous links", async () => {
      const { ids, pages } = await pageThroughNewPatients(fhir, base, `Paging${runtime}${Date.now()}`);

      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
      expect(pages).toBe(3);
    });

    it("commits a transaction with urn:uuid references", async () => {
      await checkTransaction(fhir);
    });

    it("answers errors with an OperationOutcome", async () => {
      const invalid = await fhir("POST", "/Patient", { body: { resourceType: "Patient", birthDate: "yesterday" } });
      expect(invalid.status).toBe(400);
      expect(invalid.json.resourceType).toBe("OperationOutcome");
      expect(invalid.json.issue[0].severity).toBe("error");

      const missing = await fhir("GET", "/Patient/does-not-exist");
      expect(missing.status).toBe(404);
      expect(missing.json.resourceType).toBe("OperationOutcome");
      expect(missing.json.issue[0].code).toBe("not-found");
    });

    it("rejects unsupported formats with 406 and 415", async () => {
      const notAcceptable = await fhir("GET", "/metadata", { headers: { accept: "application/fhir+xml" } });
      expect(notAcceptable.status).toBe(406);
      expect(notAcceptable.json.resourceType).toBe("OperationOutcome");

      const unsupported = await fhir("POST", "/Patient", { raw: "<Patient xmlns=\"http://hl7.org/fhir\"/>", headers: { "content-type": "application/fhir+xml" } });
      expect(unsupported.status).toBe(415);
      expect(unsupported.json.resourceType).toBe("OperationOutcome");
    });

    it("stops the runtime by its process id on SIGINT", async () => {
      expect(await interrupt(flint)).toBe(0);

      expect(flint.output()).toContain(`"event":"stopping","signal":"SIGTERM"`);
      expect(flint.output()).toContain(`"event":"runtime-exited","runtime":"${runtime}","code":0`);
      expect(isRunning(childPid)).toBe(false);
      expect(await portAnswers(port)).toBe(false);
    });
  });

  describe(`${runtime} server on PostgreSQL`, () => {
    const url = inject("postgresUrl");
    if (url === undefined || url === "") {
      it.skip("needs the PostgreSQL server of the test run (apt-get install postgresql)", () => {});
      return;
    }

    let flint: FlintProcess;
    let childPid: number | undefined;
    let base: string;
    const fhir: FhirClient = (method, path, options) => request(base, method, path, options);
    reportServerErrors(() => flint);

    beforeAll(async () => {
      const port = await findFreePort();
      base = `http://127.0.0.1:${port}/fhir`;
      flint = startFlint(runtime, { PORT: String(port), FLINT_STORE: "postgres", DATABASE_URL: url, FLINT_PG_SCHEMA: `runtime_${runtime}_${process.pid}_${Date.now()}` });
      childPid = await waitForListening(flint);
    });

    afterAll(async () => {
      await interrupt(flint);
      if (childPid !== undefined && isRunning(childPid)) process.kill(childPid, "SIGKILL");
    });

    it("creates, updates and pages", async () => {
      const created = await fhir("POST", "/Patient", { body: { resourceType: "Patient", name: [{ family: "Postgres" }] } });
      expect(created.status, created.text).toBe(201);
      const updated = await fhir("PUT", `/Patient/${created.json.id}`, {
        headers: { "if-match": 'W/"1"' },
        body: { resourceType: "Patient", id: created.json.id, active: true },
      });
      expect(updated.headers.get("etag")).toBe('W/"2"');

      const { ids, pages } = await pageThroughNewPatients(fhir, base, `Paging${runtime}${Date.now()}`);
      expect(new Set(ids).size).toBe(5);
      expect(pages).toBe(3);
    });

    it("commits a transaction", async () => {
      await checkTransaction(fhir);
    });
  });

  describe(`${runtime} server with its own DynamoDB Local`, () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), `flint-${runtime}-java-`));
    afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

    it("starts Java in the Node process and stops both on SIGINT", async () => {
      const port = await findFreePort();
      const flint = startFlint(runtime, { PORT: String(port), FLINT_STORE: "dynamodb-local", DYNAMODB_ENDPOINT: "", FLINT_DATA_DIR: dataDir });
      let childPid: number | undefined;
      try {
        childPid = await waitForListening(flint);
        const javaPort = Number(/"event":"dynamodb-local-started","port":(\d+)/.exec(flint.output())?.[1]);
        expect(javaPort).toBeGreaterThan(0);

        const created = await fetch(`http://127.0.0.1:${port}/fhir/Patient`, {
          method: "POST",
          headers: { "content-type": FHIR_JSON },
          body: JSON.stringify({ resourceType: "Patient", active: true }),
        });
        expect(created.status).toBe(201);

        expect(await interrupt(flint)).toBe(0);
        expect(isRunning(childPid)).toBe(false);
        expect(await portAnswers(javaPort)).toBe(false);
        expect(await portAnswers(port)).toBe(false);
      } finally {
        await interrupt(flint);
        if (childPid !== undefined && isRunning(childPid)) process.kill(childPid, "SIGKILL");
      }
    }, 90_000);
  });
}
