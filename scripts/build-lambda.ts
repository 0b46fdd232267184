/**
 * Bundles the Lambda entries into one ESM file each, which exports `handler` and needs no
 * `node_modules` beside it: `dist/functions/api.mjs` on DynamoDB (`functions/api.ts`) and
 * `dist/functions-postgres/api.mjs` on PostgreSQL (`functions/api-postgres.ts`). Each folder
 * contains its bundle only, so SST can deploy the folder as it is. The AWS SDK is bundled too, so
 * the function runs the SDK version it was tested with rather than the one the Lambda runtime
 * ships.
 *
 * `npm run build:lambda` runs it; `-- --analyze` also prints the largest inputs, and
 * `-- --sourcemap` writes source maps, which `node --cpu-prof` profiles need to name the
 * packages. The esbuild metafiles are written to `dist/meta/` for deeper analysis.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { analyzeMetafile, build, type Plugin } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Folder that `npm run build:lambda` writes to. */
const DIST = join(ROOT, "dist");

/** The entries, with their bundles' paths relative to the output folder. */
const ENTRIES = {
  dynamodb: { entry: join(ROOT, "functions", "api.ts"), bundle: join("functions", "api.mjs") },
  postgres: { entry: join(ROOT, "functions", "api-postgres.ts"), bundle: join("functions-postgres", "api.mjs") },
} as const;

/** Bundle of the DynamoDB entry, the default store. */
export const LAMBDA_BUNDLE = join(DIST, ENTRIES.dynamodb.bundle);

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

/** Resolves `filter` to a module whose source is `contents`. */
function replaceModule(name: string, filter: RegExp, contents: string): Plugin {
  return {
    name: `flint-${name}`,
    setup(esbuild) {
      esbuild.onResolve({ filter }, () => ({ path: name, namespace: "flint-stub" }));
      esbuild.onLoad({ filter: new RegExp(`^${name}$`), namespace: "flint-stub" }, () => ({ contents, loader: "js", resolveDir: ROOT }));
    },
  };
}

/**
 * Replaces PGlite with a module whose `PGlite.create` throws. `@flint/postgres` imports it for
 * embedded PostgreSQL, which a Lambda function never opens: there the PostgreSQL store is a
 * server reached with the `postgres` client. PGlite and its loader add about 140 KiB gzipped.
 */
const withoutPglite = replaceModule(
  "pglite",
  /^@electric-sql\/pglite$/,
  `export class PGlite {
  static async create() {
    throw new Error("PGlite is not part of the Lambda bundle; the PostgreSQL entry reads DATABASE_URL or FLINT_DATABASE_LINK.");
  }
}`,
);

/**
 * Replaces the SDK's default credential chain with the one in `functions/credentials.ts`, which
 * reads the environment and the container endpoint only: what a Lambda function has. The SDK's
 * chain would add profile, SSO, web identity and instance metadata providers with the STS, SSO
 * and sign-in clients they need, about 33 KiB gzipped.
 */
const lambdaCredentials: Plugin = {
  name: "flint-lambda-credentials",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: join(ROOT, "functions", "credentials.ts") }));
  },
};

/**
 * Replaces semver, which `aws-xray-sdk-core` needs only to check the version of an AWS SDK v2
 * client before it patches one. Flint traces its v3 client with `captureAWSv3Client`, so the
 * replacement throws if it is ever called. It saves 7 KiB gzipped.
 */
const withoutSemver = replaceModule(
  "semver",
  /^semver$/,
  `export function gte() {
  throw new Error("semver is not part of the Lambda bundle; Flint traces AWS SDK v3 clients only.");
}`,
);

/**
 * Builds one entry and returns its size, raw and gzipped at level 9. Packages are read from their
 * ES module files where they have them (`module` before `main`), which lets esbuild leave out the
 * parts of the AWS SDK that Flint does not call: about 38 KiB gzipped less than its CommonJS files.
 */
async function buildEntry(entry: string, outdir: string, bundle: string, options: { sourcemap?: boolean }): Promise<LambdaBuild> {
  const outfile = join(outdir, bundle);
  rmSync(dirname(outfile), { recursive: true, force: true });
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    minify: true,
    legalComments: "none",
    banner: { js: REQUIRE_BANNER },
    plugins: [withoutPglite, lambdaCredentials, withoutSemver],
    metafile: true,
    sourcemap: options.sourcemap === true,
    logLevel: "warning",
  });

  const metafile = join(outdir, "meta", `${dirname(bundle)}.json`);
  mkdirSync(dirname(metafile), { recursive: true });
  writeFileSync(metafile, JSON.stringify(result.metafile));
  const code = readFileSync(outfile);
  return { outfile, metafile, bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/**
 * Builds both entries into `outdir`, `dist` by default. Tests pass a folder of their own, so two
 * test files never import a bundle that the other is rewriting.
 */
export async function buildLambda(options: { outdir?: string; sourcemap?: boolean } = {}): Promise<Record<keyof typeof ENTRIES, LambdaBuild>> {
  const outdir = options.outdir ?? DIST;
  return {
    dynamodb: await buildEntry(ENTRIES.dynamodb.entry, outdir, ENTRIES.dynamodb.bundle, options),
    postgres: await buildEntry(ENTRIES.postgres.entry, outdir, ENTRIES.postgres.bundle, options),
  };
}

function kibibytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<void> {
  const builds = await buildLambda({ sourcemap: process.argv.includes("--sourcemap") });
  for (const built of Object.values(builds)) {
    console.log(`${relative(ROOT, built.outfile)}: ${kibibytes(built.bytes)}, ${kibibytes(built.gzipBytes)} gzipped (metafile ${relative(ROOT, built.metafile)})`);
    if (process.argv.includes("--analyze")) {
      const metafile = JSON.parse(readFileSync(built.metafile, "utf8")) as Parameters<typeof analyzeMetafile>[0];
      console.log(await analyzeMetafile(metafile));
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
