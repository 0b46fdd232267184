/**
 * Bundles `main.ts` and its workspace packages with esbuild into `dist/server/server.mjs` and a
 * linked source map. `start-node.mjs` runs this file as a child process before every start, so
 * the memory of the build is freed with that process, not kept by the server. Exits with 1 when
 * esbuild is missing or the build fails.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const sourceDir = path.dirname(fileURLToPath(import.meta.url));

/** The bundle that `start-node.mjs` imports. */
export const bundleFile = path.resolve(sourceDir, "../../../dist/server/server.mjs");

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundleServer();

async function bundleServer() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch (error) {
    console.error(`npm start needs the esbuild package, which is a development dependency; run \`npm ci\` without --omit=dev (${error.message}).`);
    process.exit(1);
  }

  let result;
  try {
    result = await esbuild.build({
      entryPoints: [path.join(sourceDir, "main.ts")],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // A linked map without the sources' text: stack traces name the .ts files, which are on disk.
      sourcemap: "linked",
      sourcesContent: false,
      legalComments: "none",
      logLevel: "warning",
      outfile: bundleFile,
      write: false,
      // PGlite loads its WebAssembly files from its package folder, so it stays in node_modules.
      external: ["@electric-sql/pglite"],
      // Bundled CommonJS packages call require, which an ES module lacks.
      banner: { js: "import { createRequire as flintCreateRequire } from 'node:module'; const require = flintCreateRequire(import.meta.url);" },
      // runtimes.ts finds deno.ts and bun.ts next to its own file, which the bundle is not.
      define: { FLINT_SERVER_SOURCE_DIR: JSON.stringify(sourceDir) },
    });
  } catch {
    // esbuild has already printed the errors with their locations.
    process.exit(1);
  } finally {
    await esbuild.stop();
  }

  // Each file goes to a temporary name first and is renamed, so that a second `npm start` in the
  // same folder never imports a half-written bundle. The map is written before the bundle.
  mkdirSync(path.dirname(bundleFile), { recursive: true });
  const outputs = [...result.outputFiles].sort((a, b) => Number(a.path.endsWith(".mjs")) - Number(b.path.endsWith(".mjs")));
  for (const output of outputs) {
    const temporary = `${output.path}.${process.pid}.tmp`;
    writeFileSync(temporary, output.contents);
    renameSync(temporary, output.path);
  }
}
