import { existsSync } from "node:fs";
import { join } from "node:path";
import { METRICS_NAMESPACE } from "./schema";
import type { StageSettings } from "./stage";


/**
 * Function settings shared by every store.
 * - Runtime: Node 20, the version Flint is developed and tested on. SST 4 would pick
 *   `nodejs24.x` if unset.
 * - Architecture: arm64, which costs less per GB-second than x86_64. Flint and its
 *   dependencies are JavaScript and WebAssembly, with no native modules.
 * - Memory: Lambda gives CPU in proportion to memory (a full vCPU at 1,769 MB). Requests spend
 *   CPU on JSON parsing, validation, FHIRPath index extraction and gzip, and the rest of
 *   their time waiting on the store. 1,024 MB gives about 0.6 vCPU, which keeps cold starts and
 *   small reads cheap while leaving room for 6 MB transaction Bundles in memory.
 * - Timeout: a search page stops after 10 s, so searches fit easily. The long requests are
 *   transaction Bundles near the 6 MB Lambda payload limit, which write thousands of items.
 *   60 s is also the longest that CloudFront waits when a custom domain is set.
 * - Logs: JSON format, so Lambda's own START and REPORT records are JSON like Flint's lines.
 * - Tracing: X-Ray active tracing, so Lambda samples requests and Flint adds DynamoDB subsegments.
 *
 * NOTE: memory and timeout are estimates, because transaction speed on AWS DynamoDB has not
 * been measured. On DynamoDB Local, a 3,177-entry Bundle took 128 s (docs/benchmarks.md), so
 * Bundles that large may need splitting or a server outside Lambda.
 */
export function functionArgs(settings: StageSettings, dev: boolean) {
  return {
    ...functionCode(settings.store, dev),
    runtime: "nodejs20.x" as const,
    architecture: "arm64" as const,
    memory: "1024 MB" as const,
    timeout: "60 seconds" as const,
    logging: { retention: settings.logRetention, format: "json" as const },
    transform: { function: { tracingConfig: { mode: "Active" } } },
  };
}

/** Each store's Lambda entry, and the folder where `npm run build:lambda` writes its bundle. */
const ENTRIES = {
  dynamodb: { source: "functions/api.handler", bundle: join("dist", "functions") },
  postgres: { source: "functions/api-postgres.handler", bundle: join("dist", "functions-postgres") },
} as const;

/**
 * Returns the code settings of the function. `sst deploy` uploads the bundle that
 * `npm run build:lambda` wrote, the file the Lambda tests import and `docs/benchmarks.md`
 * measures, rather than one SST would build without Flint's build settings. `npm run deploy -- --stage NAME` builds it first. In
 * `sst dev` the function runs from the TypeScript sources on your machine.
 */
export function functionCode(store: StageSettings["store"], dev: boolean, root: string = process.cwd()): { handler: string; bundle?: string } {
  const entry = store === "dynamodb" ? ENTRIES.dynamodb : ENTRIES.postgres;
  if (dev) return { handler: entry.source };
  if (!existsSync(join(root, entry.bundle, "api.mjs"))) {
    throw new Error(`${join(entry.bundle, "api.mjs")} does not exist: run npm run build:lambda before sst deploy, or deploy with npm run deploy -- --stage NAME.`);
  }
  return { bundle: entry.bundle, handler: "api.handler" };
}

/** Environment of the function that sets up its logs, metrics and traces (see `packages/api/src/observability`). */
export function observabilityEnvironment(settings: StageSettings): Record<string, string> {
  return { FLINT_METRICS_NAMESPACE: METRICS_NAMESPACE, FLINT_METRICS_SERVICE: settings.metricsService };
}

/** Permission to send trace segments, which active tracing needs; X-Ray has no resource-level permissions. */
export const XRAY_PERMISSION = { actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] };
