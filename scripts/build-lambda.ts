/**
 * Bundles the Lambda entry `functions/api.ts` into one ESM file, `dist/functions/api.mjs`, that
 * exports `handler` and needs no `node_modules` beside it: the AWS SDK is bundled too, so the
 * function runs the SDK version it was tested with rather than the one the Lambda runtime ships.
 *
 * `npm run build:lambda` runs it; `-- --analyze` also prints the largest inputs. The esbuild
 * metafile is written beside the bundle for deeper analysis.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { analyzeMetafile, build, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where `npm run build:lambda` writes the bundle. */
export const LAMBDA_BUNDLE = join(ROOT, "dist", "functions", "api.mjs");

export interface LambdaBuild {
  outfile: string;
  metafile: string;
  bytes: number;
  gzipBytes: number;
}

/**
 * Some bundled CommonJS packages call `require` for Node built-ins (`node:https`, `util`), and an
 * ESM file has no `require`. esbuild's shim throws "Dynamic require of … is not supported"
 * unless the bundle defines one, so the banner creates it.
 */
const REQUIRE_BANNER = 'import { createRequire as __flintCreateRequire } from "node:module"; const require = __flintCreateRequire(import.meta.url);';

/**
 * Replaces PGlite with a module whose `PGlite.create` throws. `@flint/postgres` imports it for
 * embedded PostgreSQL, which a Lambda function never opens: there the PostgreSQL store is a
 * server reached with the `postgres` client. PGlite and its loader add about 140 KiB gzipped.
 */
const withoutPglite: Plugin = {
  name: "flint-without-pglite",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^@electric-sql\/pglite$/ }, () => ({ path: "pglite", namespace: "flint-stub" }));
    esbuild.onLoad({ filter: /.*/, namespace: "flint-stub" }, () => ({
      contents: `export class PGlite {
  static async create() {
    throw new Error("PGlite is not part of the Lambda bundle; set FLINT_STORE=postgres with DATABASE_URL or FLINT_DATABASE_LINK.");
  }
}`,
      loader: "js",
    }));
  },
};

/**
 * Resolves `import fhirpath from "fhirpath"` to the package's CommonJS sources instead of its
 * ESM file. The ESM file is a prebuilt bundle with its own copy of `@lhncbc/ucum-lhc` and the
 * UCUM tables, which `@flint/core` also imports, so the bundle would carry both copies (about
 * 58 KiB gzipped each). The sources are the same release and require the shared package.
 */
const fhirpathFromSources: Plugin = {
  name: "flint-fhirpath-sources",
  setup(esbuild) {
    const require = createRequire(join(ROOT, "package.json"));
    esbuild.onResolve({ filter: /^fhirpath$/ }, () => ({ path: require.resolve("fhirpath") }));
  },
};

/** Builds the bundle and returns its size, raw and gzipped at level 9. */
export async function buildLambda(outfile: string = LAMBDA_BUNDLE): Promise<LambdaBuild> {
  const result = await build({
    entryPoints: [join(ROOT, "functions", "api.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    legalComments: "none",
    banner: { js: REQUIRE_BANNER },
    plugins: [withoutPglite, fhirpathFromSources],
    metafile: true,
    logLevel: "warning",
  });

  const metafile = outfile.replace(/\.mjs$/, ".meta.json");
  writeFileSync(metafile, JSON.stringify(result.metafile));
  const code = readFileSync(outfile);
  return { outfile, metafile, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

function kibibytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const built = await buildLambda();
  console.log(`${relative(ROOT, built.outfile)}: ${kibibytes(built.bytes)}, ${kibibytes(built.gzipBytes)} gzipped (metafile ${relative(ROOT, built.metafile)})`);
  if (process.argv.includes("--analyze")) {
    const metafile = JSON.parse(readFileSync(built.metafile, "utf8")) as Parameters<typeof analyzeMetafile>[0];
    console.log(await analyzeMetafile(metafile));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
