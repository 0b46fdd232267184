import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { responseBundle, type ScriptedServer, startScriptedServer } from "../test/scripted-server.ts";
import { defaultHttpDependencies } from "./client.ts";
import type { BundleGroup } from "./files.ts";
import { runLoad } from "./load.ts";
import type { ProgressStream } from "./progress.ts";

let folder: string;
let server: ScriptedServer | undefined;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "flint-loader-load-"));
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Writes a one-entry batch whose request URL names the file, so the server can tell files apart. */
async function writeGroup(name: string, count: number): Promise<BundleGroup> {
  const files = [];
  for (let number = 0; number < count; number++) {
    const path = join(folder, `${name}-${number}.json`);
    const entry = { resource: { resourceType: "Organization" }, request: { method: "PUT", url: `Organization/${name}-${number}` } };
    await writeFile(path, JSON.stringify({ resourceType: "Bundle", type: "batch", entry: [entry] }));
    files.push({ path, type: "batch" as const, entryCount: 1 });
  }
  return { argument: name, files };
}

function silentStream(): ProgressStream & { text: string } {
  return {
    text: "",
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

function requestedIds(scripted: ScriptedServer): string[] {
  return scripted.requests.map((request) => /Organization\/([\w-]+)/.exec(request.body.toString("utf8"))?.[1] ?? "?");
}

describe("runLoad", () => {
  it("finishes a group before the next starts and bounds concurrency", async () => {
    const first = await writeGroup("first", 5);
    const second = await writeGroup("second", 3);
    const arrivals: { id: string; at: number }[] = [];
    server = await startScriptedServer([
      (request) => {
        arrivals.push({ id: /Organization\/([\w-]+)/.exec(request.body.toString("utf8"))?.[1] ?? "?", at: Date.now() });
        return { status: 200, delayMs: 30, body: responseBundle("batch-response", ["201 Created"]) };
      },
    ]);
    const progress = silentStream();

    const report = await runLoad([first, second], { paths: [], baseUrl: server.baseUrl, concurrency: 2, timeoutMs: 5000 }, { http: defaultHttpDependencies, progress });

    expect(requestedIds(server).slice(0, 5).sort()).toEqual(["first-0", "first-1", "first-2", "first-3", "first-4"]);
    expect(requestedIds(server).slice(5).sort()).toEqual(["second-0", "second-1", "second-2"]);
    const lastFirstArrival = Math.max(...arrivals.filter((arrival) => arrival.id.startsWith("first")).map((arrival) => arrival.at));
    const firstSecondArrival = Math.min(...arrivals.filter((arrival) => arrival.id.startsWith("second")).map((arrival) => arrival.at));
    // Each response is sent 30 ms after its request arrives, and the second group must wait for the last one of the first.
    expect(firstSecondArrival - lastFirstArrival).toBeGreaterThanOrEqual(25);
    expect(server.inFlight.max).toBe(2);
    expect(report.results).toHaveLength(8);
    expect(report.results.every((result) => result.entries[0]?.outcome === "created")).toBe(true);
    expect(progress.text).toContain("Progress: 8/8 bundles, 8/8 entries");
  });

  it("starts nothing more after an abort and counts the rest as unsent", async () => {
    const first = await writeGroup("abort-a", 3);
    const second = await writeGroup("abort-b", 2);
    const interrupt = new AbortController();
    server = await startScriptedServer([
      () => {
        interrupt.abort();
        return { status: 200, body: responseBundle("batch-response", ["201"]) };
      },
    ]);

    const report = await runLoad(
      [first, second],
      { paths: [], baseUrl: server.baseUrl, concurrency: 1, timeoutMs: 5000 },
      { http: defaultHttpDependencies, progress: silentStream() },
      interrupt.signal,
    );

    expect(server.requests).toHaveLength(1);
    expect(report.results).toHaveLength(1);
    expect(report.unsent).toEqual({ bundles: 4, entries: 4 });
  });
});
