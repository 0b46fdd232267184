import { existsSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "./config.ts";

/** Runtimes that serve Flint in a child process of `npm start`. */
export type ChildRuntime = "deno" | "bun";

/** Environment for the child runtime: no update check, prompt, telemetry or crash upload. */
export const CHILD_ENVIRONMENT = {
  DENO_NO_UPDATE_CHECK: "1",
  DENO_NO_PROMPT: "1",
  // DO_NOT_TRACK=1 turns off the crash report upload and telemetry of Bun (see its environment variable docs).
  DO_NOT_TRACK: "1",
} as const;

/** Smaller files are the placeholder that the `bun` package ships until its install script replaces it. */
const MIN_BINARY_BYTES = 1_000_000;

/** Folder of `deno.ts` and `bun.ts`. The bundle that `npm start` builds (start-node.mjs) defines it, because that bundle lives in dist/. */
declare const FLINT_SERVER_SOURCE_DIR: string | undefined;

const entryDir = typeof FLINT_SERVER_SOURCE_DIR === "string" ? FLINT_SERVER_SOURCE_DIR : dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/**
 * Finds the binary of the npm package `deno` or `bun`, or falls back to the name on PATH.
 * Both packages also ship a Node script that starts the binary when their install script did
 * not run. That script is skipped here, because stopping it by its process id would leave the
 * runtime running.
 */
export function findRuntimeBinary(runtime: ChildRuntime): string {
  const candidates = runtime === "deno" ? denoBinaries() : bunBinaries();
  return candidates.find((file) => file !== undefined && existsSync(file) && statSync(file).size >= MIN_BINARY_BYTES) ?? runtime;
}

/** Builds the command-line arguments that run the runtime's entry file for `config`. */
export function runtimeArguments(runtime: ChildRuntime, config: Config): string[] {
  if (runtime === "bun") {
    // Node reads no .env file and installs nothing at run time, so Bun must not either.
    return ["--no-install", "--no-env-file", join(entryDir, "bun.ts")];
  }
  return ["run", "--no-prompt", "--no-lock", "--no-remote", ...denoPermissions(config), join(entryDir, "deno.ts")];
}

/**
 * Lists the Deno permissions that `config` needs: listening on its address, reaching its store,
 * reading the environment, and the OS release that the AWS SDK puts in its user agent.
 */
export function denoPermissions(config: Config): string[] {
  const listen = `${config.host}:${config.port}`;
  const common = ["--allow-env", "--allow-sys=osRelease"];

  switch (config.store) {
    case "dynamodb-local":
      // `npm start` passes the endpoint of the DynamoDB Local it started (see launch.ts).
      return [`--allow-net=${listen},${hostAndPort(config.dynamoDbEndpoint!)}`, ...common];
    case "dynamodb":
      // NOTE: AWS credentials may come from files, SSO, STS or instance metadata, so this store
      // gets open network, read and system access. It has not been run against AWS on Deno.
      return ["--allow-net", "--allow-read", "--allow-sys", "--allow-env"];
    case "postgres":
      return [`--allow-net=${listen},${hostAndPort(config.databaseUrl!, 5432)}`, ...common];
    case "pglite":
      // PGlite reads its WebAssembly files from node_modules and writes only its data folder.
      return [`--allow-net=${listen}`, "--allow-read", `--allow-write=${resolve(config.dataDir)}`, ...common];
  }
}

function hostAndPort(url: string, defaultPort?: number): string {
  const parsed = new URL(url);
  const port = parsed.port !== "" ? parsed.port : String(defaultPort ?? (parsed.protocol === "https:" ? 443 : 80));
  return `${parsed.hostname}:${port}`;
}

function denoBinaries(): Array<string | undefined> {
  const executable = process.platform === "win32" ? "deno.exe" : "deno";
  const platformPackage = `@deno/${process.platform}-${process.arch}${process.platform === "linux" ? "-glibc" : ""}`;
  return [packageFile("deno", executable), packageFile(platformPackage, executable)];
}

function bunBinaries(): Array<string | undefined> {
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch === "arm64" ? "aarch64" : process.arch;
  const executable = process.platform === "win32" ? "bun.exe" : "bun";
  return [packageFile("bun", "bin/bun.exe"), packageFile(`@oven/bun-${os}-${arch}`, `bin/${executable}`)];
}

/** Resolves a file inside an installed package, or undefined when the package is missing. */
function packageFile(name: string, file: string): string | undefined {
  try {
    return join(dirname(require.resolve(`${name}/package.json`)), file);
  } catch {
    return undefined;
  }
}
