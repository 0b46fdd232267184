import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { findFreePort } from "@flint/dynamodb";

/**
 * Checks the Dockerfile without a Docker engine: the sources of its COPY instructions, and
 * its build, CMD and HEALTHCHECK run outside Docker with the image's environment.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** One Dockerfile instruction, with continuation lines joined. */
interface Instruction {
  keyword: string;
  text: string;
  /** Index of the build stage (FROM) the instruction belongs to, counted from 0. */
  stage: number;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, " ");
  const instructions: Instruction[] = [];
  let stage = -1;
  for (const line of joined.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const keyword = trimmed.split(/\s+/, 1)[0]!.toUpperCase();
    if (keyword === "FROM") stage += 1;
    instructions.push({ keyword, text: trimmed.slice(keyword.length).trim(), stage });
  }
  return instructions;
}

/** Returns the JSON array of an exec-form instruction such as `CMD ["node", "x.mjs"]`. */
function execForm(text: string): string[] {
  const start = text.indexOf("[");
  return JSON.parse(text.slice(start)) as string[];
}

/** Compiles .dockerignore patterns; the last matching pattern decides, as in Docker. */
function dockerignore(text: string): (file: string) => boolean {
  const rules = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = negated ? line.slice(1) : line;
      const source = pattern.split(/(\*\*\/|\*\*|\*|\?)/).map(globPartToRegExp).join("");
      return { negated, pattern: new RegExp(`^${source}(/.*)?$`) };
    });
  return (file) => {
    let excluded = false;
    for (const rule of rules) if (rule.pattern.test(file)) excluded = !rule.negated;
    return excluded;
  };
}

// Translates one piece of a .dockerignore pattern, a wildcard or literal text. A double star
// followed by a slash matches zero or more folders, as in Docker.
function globPartToRegExp(part: string): string {
  if (part === "**/") return "(.*/)?";
  if (part === "**") return ".*";
  if (part === "*") return "[^/]*";
  if (part === "?") return "[^/]";
  return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
}

function listFiles(directory: string): string[] {
  return readdirSync(path.join(root, directory), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${directory}/${entry.name}`;
    return entry.isDirectory() ? listFiles(relative) : [relative];
  });
}

const instructions = parseDockerfile(readFileSync(path.join(root, "Dockerfile"), "utf8"));
const isIgnored = dockerignore(readFileSync(path.join(root, ".dockerignore"), "utf8"));
const runtimeStage = Math.max(...instructions.map((instruction) => instruction.stage));

describe("Dockerfile sources", () => {
  const copies = instructions.filter((instruction) => instruction.keyword === "COPY" && !instruction.text.startsWith("--from"));

  it("copies only paths that exist and reach the build", () => {
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.text.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        expect(existsSync(path.join(root, source)), `${source} exists`).toBe(true);
        const files = statSync(path.join(root, source)).isDirectory() ? listFiles(source) : [source];
        expect(files.filter((file) => !isIgnored(file)).length, `${source} passes .dockerignore`).toBeGreaterThan(0);
      }
    }
  });

  it("copies the manifest of every workspace", () => {
    const copied = new Set(copies.flatMap((copy) => copy.text.split(/\s+/).slice(0, -1)));
    const workspaces = readdirSync(path.join(root, "packages")).filter((name) => existsSync(path.join(root, "packages", name, "package.json")));

    for (const name of workspaces) expect(copied, `packages/${name}/package.json`).toContain(`packages/${name}/package.json`);
  });

  it("sends the server entry and no tests to the build", () => {
    expect(isIgnored("packages/server/src/main.ts")).toBe(false);
    expect(isIgnored("packages/core/src/generated/definitions.ts")).toBe(false);
    expect(isIgnored("packages/api/src/observability/emf.test.ts")).toBe(true);
    expect(isIgnored("packages/server/src/config.test.ts")).toBe(true);
    expect(isIgnored("node_modules/hono/package.json")).toBe(true);
    expect(isIgnored(".env")).toBe(true);
  });

  it("runs as a non-root user with a health check", () => {
    const runtime = instructions.filter((instruction) => instruction.stage === runtimeStage);

    expect(runtime.find((instruction) => instruction.keyword === "USER")?.text).toBe("node");
    expect(runtime.some((instruction) => instruction.keyword === "HEALTHCHECK")).toBe(true);
    expect(runtime.some((instruction) => /java|openjdk/i.test(instruction.text))).toBe(false);
  });

  it("copies PGlite alone because it has no dependencies", () => {
    const manifest = JSON.parse(readFileSync(path.join(root, "node_modules/@electric-sql/pglite/package.json"), "utf8")) as { dependencies?: object };

    expect(Object.keys(manifest.dependencies ?? {})).toEqual([]);
  });
});

describe("Docker image command outside Docker", () => {
  const workdir = mkdtempSync(path.join(tmpdir(), "flint-image-"));
  let server: ChildProcess | undefined;
  let output = "";
  let environment: Record<string, string> = {};

  /** Returns the runtime stage's ENV, with the address, port and store pointed at this machine. */
  function imageEnvironment(port: number): Record<string, string> {
    const variables: Record<string, string> = {};
    for (const instruction of instructions.filter((entry) => entry.stage === runtimeStage && entry.keyword === "ENV")) {
      for (const pair of instruction.text.split(/\s+/)) {
        const [name, ...value] = pair.split("=");
        variables[name!] = value.join("=");
      }
    }
    return {
      PATH: process.env.PATH ?? "",
      ...variables,
      HOST: "127.0.0.1",
      PORT: String(port),
      FLINT_DATA_DIR: path.join(workdir, "data"),
      FLINT_TABLE: `flint-image-${process.pid}-${Date.now()}`,
      DYNAMODB_ENDPOINT: inject("dynamoDbEndpoint"),
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
  }

  beforeAll(async () => {
    const build = instructions.find((instruction) => instruction.keyword === "RUN" && instruction.text.includes("esbuild"));
    const [npx, tool, ...args] = execForm(build!.text);
    expect([npx, tool]).toEqual(["npx", "esbuild"]);
    expect(args).toContain("--outfile=dist/server.mjs");

    const built = spawnSync(path.join(root, "node_modules/.bin/esbuild"), args.map((arg) => (arg === "--outfile=dist/server.mjs" ? `--outfile=${workdir}/dist/server.mjs` : arg)), {
      cwd: root,
      encoding: "utf8",
    });
    expect(built.status, built.stderr).toBe(0);
    mkdirSync(path.join(workdir, "node_modules/@electric-sql"), { recursive: true });
    symlinkSync(path.join(root, "node_modules/@electric-sql/pglite"), path.join(workdir, "node_modules/@electric-sql/pglite"));

    environment = imageEnvironment(await findFreePort());
    const [command, ...commandArgs] = execForm(instructions.find((instruction) => instruction.keyword === "CMD" && instruction.stage === runtimeStage)!.text);
    server = spawn(command === "node" ? process.execPath : command!, commandArgs, { cwd: workdir, env: environment, stdio: ["ignore", "pipe", "pipe"] });
    server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));

    const deadline = Date.now() + 30_000;
    while (!output.includes('"event":"listening"')) {
      if (server.exitCode !== null) throw new Error(`the image command exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`the image command did not start:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(() => {
    if (server !== undefined && server.exitCode === null) server.kill("SIGKILL");
    rmSync(workdir, { recursive: true, force: true });
  });

  it("passes its health check", () => {
    const healthcheck = instructions.find((instruction) => instruction.keyword === "HEALTHCHECK")!;
    const [command, ...args] = execForm(healthcheck.text.slice(healthcheck.text.indexOf("CMD")));

    const result = spawnSync(command === "node" ? process.execPath : command!, args, { env: environment, encoding: "utf8", timeout: 10_000 });

    expect(result.status, result.stderr).toBe(0);
  });

  it("stores a resource in DynamoDB", async () => {
    const response = await fetch(`http://127.0.0.1:${environment.PORT}/fhir/Patient`, {
      method: "POST",
      headers: { "content-type": "application/fhir+json" },
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Imagecheck" }] }),
    });

    expect(response.status).toBe(201);
    expect(output).toContain('"store":"dynamodb"');
  });

  it("stops cleanly on SIGTERM", async () => {
    const exited = new Promise<number | null>((resolve) => server!.once("exit", (code) => resolve(code)));

    server!.kill("SIGTERM");

    expect(await exited).toBe(0);
    expect(output).toContain('"event":"stopped"');
  });
});
