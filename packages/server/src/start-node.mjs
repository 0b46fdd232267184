/**
 * Entry point behind `npm start`: bundles the server with esbuild (`bundle.mjs`, in a child
 * process), then runs the bundle in this process.
 *
 * Running the sources through tsx instead keeps tsx's loader and every transformed module with
 * its inline source map in memory, about 55 MiB of resident memory at rest on DynamoDB Local
 * (see "Memory" under "Soak" in docs/benchmarks.md). The build takes about a second and runs on
 * every start, so the bundle always matches the working tree. This file is plain JavaScript
 * because Node runs it without a TypeScript loader.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bundleFile } from "./bundle.mjs";

const build = spawnSync(process.execPath, [fileURLToPath(new URL("bundle.mjs", import.meta.url))], { stdio: "inherit" });
if (build.status !== 0) {
  const reason = build.error?.message ?? (build.signal === null ? `exit code ${build.status}` : `signal ${build.signal}`);
  console.error(`Flint failed to start: bundling the server failed (${reason}).`);
  process.exit(1);
}

// Source maps stay off: on the first stack trace Node parses the bundle's map into about 35 MiB
// of arrays, kept for the life of the process. NODE_OPTIONS=--enable-source-maps turns them on.
await import(pathToFileURL(bundleFile).href);
