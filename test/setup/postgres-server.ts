import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import postgres from "postgres";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the throwaway PostgreSQL server, or "" when no PostgreSQL binaries were found. */
    postgresUrl: string;
  }
}

const run = promisify(execFile);

/** Database user and database that the tests connect as and to; the server trusts local connections. */
const USER = "flint";
const DATABASE = "flint_test";

/**
 * Starts a throwaway PostgreSQL server for the whole run, listening on 127.0.0.1 on a free port,
 * with its data in a temporary folder, and provides its URL as `postgresUrl`. Durability is
 * switched off (`fsync=off`), because the data is removed at the end. Without `initdb` and
 * `pg_ctl` it provides "" and the tests that need a server skip themselves.
 *
 * initdb refuses to run as root, so under root the server runs as the `postgres` system user,
 * which owns the folder.
 */
export default async function setup(project: TestProject) {
  const binaries = findBinaries();
  if (binaries === undefined) {
    console.warn("No PostgreSQL binaries (initdb, pg_ctl) were found, so the tests that need a PostgreSQL server are skipped; install them with apt-get install postgresql.");
    project.provide("postgresUrl", "");
    return undefined;
  }

  const folder = await mkdtemp(join(tmpdir(), "flint-postgres-"));
  const data = join(folder, "data");
  const sockets = join(folder, "sockets");
  await mkdir(sockets);
  const runAs = await serverUser(folder);
  const command = (tool: string, args: string[]) => {
    const path = join(binaries, tool);
    return runAs === undefined ? run(path, args) : run("runuser", ["-u", runAs, "--", path, ...args]);
  };

  try {
    await initialize(command, data);
    const port = await findFreePort();
    const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${sockets} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    await command("pg_ctl", ["-D", data, "-l", join(folder, "server.log"), "-o", options, "-w", "-t", "60", "start"]);
    const url = `postgres://${USER}@127.0.0.1:${port}/${DATABASE}`;
    await createDatabase(`postgres://${USER}@127.0.0.1:${port}/postgres`);
    project.provide("postgresUrl", url);
  } catch (error) {
    await stop(command, data, folder);
    throw error;
  }
  return () => stop(command, data, folder);
}

type Command = (tool: string, args: string[]) => Promise<unknown>;

/**
 * Creates the data folder with a linguistic default collation (ICU `en-US`, PostgreSQL 15 and
 * later), so that a query that lacks the "C" collation orders differently and fails its test.
 * Servers without ICU get the "C" locale.
 */
async function initialize(command: Command, data: string): Promise<void> {
  const common = ["-D", data, "-U", USER, "--auth=trust", "--encoding=UTF8", "--no-sync"];
  try {
    await command("initdb", [...common, "--locale=C", "--locale-provider=icu", "--icu-locale=en-US"]);
  } catch {
    await rm(data, { recursive: true, force: true });
    await command("initdb", [...common, "--no-locale"]);
  }
}

async function stop(command: Command, data: string, folder: string): Promise<void> {
  if (existsSync(join(data, "postmaster.pid"))) await command("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
  await rm(folder, { recursive: true, force: true });
}

/** Finds a folder that contains both initdb and pg_ctl: on PATH, in /usr/lib/postgresql/{version}/bin (newest first), or in /usr/local/bin. */
function findBinaries(): string | undefined {
  const versioned = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
        .map((version) => `/usr/lib/postgresql/${version}/bin`)
    : [];
  const candidates = [...(process.env.PATH ?? "").split(delimiter).filter((folder) => folder !== ""), ...versioned, "/usr/local/bin"];
  return candidates.find((folder) => existsSync(join(folder, "initdb")) && existsSync(join(folder, "pg_ctl")));
}

/**
 * Returns the system user to run the server as: undefined for a normal user, who runs it
 * directly, or `postgres` under root, after giving that user the folder.
 */
async function serverUser(folder: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const { stdout: uid } = await run("id", ["-u", "postgres"]).catch(() => {
    throw new Error("Running as root, the PostgreSQL test server needs the postgres system user, which the postgresql package creates (apt-get install postgresql).");
  });
  const { stdout: gid } = await run("id", ["-g", "postgres"]);
  for (const path of [folder, join(folder, "sockets")]) await chown(path, Number(uid.trim()), Number(gid.trim()));
  return "postgres";
}

async function createDatabase(adminUrl: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await sql.unsafe(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Asks the kernel for a free TCP port on 127.0.0.1. */
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("No free port was found."))));
    });
  });
}
