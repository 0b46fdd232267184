import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { findFreePort } from "@flint/dynamodb";

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The script of `npm start`, which bundles the server with esbuild and runs the bundle. */
const entry = path.join(repositoryRoot, "packages/server/src/start-node.mjs");

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the server entry behind `npm start` as its own process. */
function startServer(environment: Record<string, string>): Server {
  const child = spawn(process.execPath, [entry], {
    cwd: repositoryRoot,
    env: { ...process.env, ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitForListening(server: Server): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!server.output().includes('"event":"listening"')) {
    if (server.child.exitCode !== null) throw new Error(`server exited early:\n${server.output()}`);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function portAnswers(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

const dataDir = mkdtempSync(path.join(tmpdir(), "flint-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("npm start", () => {
  it("keeps data across restarts and stops Java on Ctrl-C", async () => {
    const port = await findFreePort();
    const base = `http://127.0.0.1:${port}/fhir`;
    const first = startServer({ PORT: String(port), FLINT_DATA_DIR: dataDir });
    await waitForListening(first);
    const javaPort = Number(/"event":"dynamodb-local-started","port":(\d+)/.exec(first.output())?.[1]);
    expect(javaPort).toBeGreaterThan(0);

    const created = await fetch(`${base}/Patient/restart-probe`, {
      method: "PUT",
      headers: { "content-type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient", id: "restart-probe", name: [{ family: "Neustart" }] }),
    });
    expect(created.status).toBe(201);

    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0);
    expect(await portAnswers(javaPort)).toBe(false);

    const second = startServer({ PORT: String(port), FLINT_DATA_DIR: dataDir });
    await waitForListening(second);
    const read = await fetch(`${base}/Patient/restart-probe`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { name: Array<{ family: string }> }).name[0]!.family).toBe("Neustart");
    expect(second.output()).not.toContain("Neustart");

    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  }, 120_000);

  it("names the bad setting and exits", async () => {
    const server = startServer({ PORT: "eighty", FLINT_DATA_DIR: dataDir });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("PORT");
  }, 30_000);

  it("names the Java install command when Java is missing", async () => {
    const bin = mkdtempSync(path.join(tmpdir(), "flint-nojava-"));
    symlinkSync(process.execPath, path.join(bin, "node"));
    const port = await findFreePort();
    const server = startServer({ PATH: bin, PORT: String(port), FLINT_DATA_DIR: dataDir });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain("apt-get install -y openjdk-17-jre-headless");
    rmSync(bin, { recursive: true, force: true });
  }, 30_000);
});
