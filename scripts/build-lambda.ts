/**
 * Bundles the Lambda entry `functions/api.ts` into one ESM file, `dist/functions/api.mjs`, that
 * exports `handler` and needs no `node_modules` beside it. The AWS SDK is bundled too, so the
 * function runs the SDK version it was tested with rather than the one the Lambda runtime ships.
 *
 * `npm run build:lambda` runs it; `-- --analyze` also prints the largest inputs, and
 * `-- --sourcemap` writes a source map, which `node --cpu-prof` profiles need to name the
 * packages. The esbuild metafile is written beside the bundle for deeper analysis.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { analyzeMetafile, build, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Output path of `npm run build:lambda`. */
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
 * Loads fhirpath.js and its R4 model on first use instead of at start-up. `@flint/core` uses
 * them only to extract and match search values. Their module code and the 540 KB model take
 * about 40 ms of CPU to evaluate (docs/benchmarks.md), which a read or a history request never
 * needs. Each import from outside the fhirpath package gets a proxy that requires the real
 * module on the first property access and forwards everything to it.
 *
 * The real module comes from the package's CommonJS sources, not from its ESM file. That file
 * is a prebuilt bundle with its own copy of `@lhncbc/ucum-lhc` and the UCUM tables, which
 * `@flint/core` also imports, so the Lambda bundle would carry both copies (about 58 KiB
 * gzipped each).
 */
const lazyFhirpath: Plugin = {
  name: "flint-lazy-fhirpath",
  setup(esbuild) {
    const require = createRequire(join(ROOT, "package.json"));
    esbuild.onResolve({ filter: /^fhirpath(\/fhir-context\/r4)?$/ }, (args) => {
      if (args.importer.includes(`${join("node_modules", "fhirpath")}`)) return { path: require.resolve(args.path) };
      return { path: args.path, namespace: "flint-lazy" };
    });
    esbuild.onLoad({ filter: /.*/, namespace: "flint-lazy" }, (args) => ({
      contents: `let loaded;
const load = () => (loaded ??= require(${JSON.stringify(require.resolve(args.path))}));
export default new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => {
    const descriptor = Reflect.getOwnPropertyDescriptor(load(), key);
    return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
  },
});`,
      resolveDir: ROOT,
      loader: "js",
    }));
  },
};

/** Builds the bundle and returns its size, raw and gzipped at level 9. */
export async function buildLambda(outfile: string = LAMBDA_BUNDLE, options: { sourcemap?: boolean } = {}): Promise<LambdaBuild> {
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
    plugins: [withoutPglite, lazyFhirpath],
    metafile: true,
    sourcemap: options.sourcemap === true,
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
  const built = await buildLambda(LAMBDA_BUNDLE, { sourcemap: process.argv.includes("--sourcemap") });
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
