import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { operationOutcome, type ReceivedRequest, responseBundle, type ScriptedReply, type ScriptedServer, startScriptedServer } from "../test/scripted-server.ts";

const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the loader CLI as a child process. It must not block, because the scripted server runs in this process. */
function runCli(args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["node_modules/tsx/dist/cli.mjs", "packages/loader/src/main.ts", ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, FLINT_BASE_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Responds to a bundle with 201 for every entry, or with 412 when an entry requests `Observation/stale`. */
function respondToBundle(request: ReceivedRequest): ScriptedReply {
  const bundle = JSON.parse(request.body.toString("utf8")) as { type: string; entry: { request: { url: string } }[] };
  const staleIndex = bundle.entry.findIndex((entry) => entry.request.url === "Observation/stale");
  if (staleIndex >= 0) {
    return { status: 412, body: operationOutcome("Observation/stale has version 4, not the expected 3", `Bundle.entry[${staleIndex}]`) };
  }
  return { status: 200, body: responseBundle(`${bundle.type as "batch" | "transaction"}-response`, bundle.entry.map(() => "201 Created")) };
}

function bundleText(type: string, entries: { resourceType: string; method?: string; url?: string }[]): string {
  const entry = entries.map(({ resourceType, method = "POST", url = resourceType }) => ({ resource: { resourceType, name: [{ family: "Private" }] }, request: { method, url } }));
  return JSON.stringify({ resourceType: "Bundle", type, entry });
}

let folder: string;
let server: ScriptedServer | undefined;

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "flint-loader-cli-"));
  await mkdir(join(folder, "reference"));
  await writeFile(join(folder, "reference", "organizations.json"), bundleText("batch", [{ resourceType: "Organization" }, { resourceType: "Organization" }]));
  await writeFile(join(folder, "reference", "practitioners.json"), bundleText("batch", [{ resourceType: "Practitioner" }]));
  await writeFile(join(folder, "patient-1.json"), bundleText("transaction", [{ resourceType: "Patient" }, { resourceType: "Observation" }]));
  await writeFile(
    join(folder, "patient-2.json"),
    bundleText("transaction", [{ resourceType: "Patient" }, { resourceType: "Observation", method: "PUT", url: "Observation/stale" }]),
  );
});

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("npm run load", () => {
  it("loads groups and prints the summary", async () => {
    const scripted = await startScriptedServer([respondToBundle]);
    server = scripted;

    const run = await runCli([join(folder, "reference"), join(folder, "patient-1.json"), "--base", scripted.baseUrl, "--concurrency", "2"]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      [
        "resource type  created  updated  existing  deleted  failed",
        "Observation          1        0         0        0       0",
        "Organization         2        0         0        0       0",
        "Patient              1        0         0        0       0",
        "Practitioner         1        0         0        0       0",
        "total                5        0         0        0       0",
      ].join("\n"),
    );
    expect(run.stdout).toMatch(/\n5 entries in 3 bundles in \d+\.\d s \([\d.,]+ entries\/s\)\.\n/);
    expect(run.stdout).not.toContain("Failures");
    expect(run.stderr).toContain("Progress: 3/3 bundles, 5/5 entries");
    expect(scripted.requests).toHaveLength(3);
    expect(scripted.requests[2]?.body.toString("utf8")).toContain('"type":"transaction"');
  });

  it("reports a rejected transaction and exits with 1", async () => {
    const scripted = await startScriptedServer([respondToBundle]);
    server = scripted;

    const run = await runCli([join(folder, "patient-1.json"), join(folder, "patient-2.json"), "--base", scripted.baseUrl]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain("total                2        0         0        0       2");
    expect(run.stdout).toContain(
      `Failures:\n  ${join(folder, "patient-2.json")}: transaction rejected: 412 Precondition Failed: entry 1 (Observation): Observation/stale has version 4, not the expected 3\n`,
    );
    expect(run.stdout + run.stderr).not.toContain("Private");
  });

  it("exits with 2 and sends nothing for an invalid file", async () => {
    const scripted = await startScriptedServer([respondToBundle]);
    server = scripted;
    const missing = join(folder, "missing.json");

    const run = await runCli([join(folder, "patient-1.json"), missing, "--base", scripted.baseUrl]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${missing}: not found`);
    expect(run.stdout).toBe("");
    expect(scripted.requests).toHaveLength(0);
  });

  it("exits with 2 for an invalid option", async () => {
    const run = await runCli([join(folder, "patient-1.json"), "--concurrency", "many"]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Invalid --concurrency "many"');
  });
});
