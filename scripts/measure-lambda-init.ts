/**
 * Measures the start-up of the Lambda bundle. Each run starts a fresh `node` process that times
 * `await import("dist/functions/api.mjs")` with `performance.now()`, and the CPU time the
 * process spent in it with `process.cpuUsage()` (user and system, all threads). The import
 * evaluates every bundled module and runs the entry's top-level code, which builds the DynamoDB
 * client, the repository and the app. It opens no connection: the endpoint is a closed port on
 * 127.0.0.1. On a machine shared with other work the CPU time varies less than the elapsed time.
 *
 * With `--first-request`, the script starts DynamoDB Local in memory and creates a table first.
 * Each process then also times its first request, a Function URL event that creates a Patient,
 * and its second, which reads that Patient back.
 *
 *   npx tsx scripts/measure-lambda-init.ts [--runs 20] [--bundle dist/functions/api.mjs] [--first-request]
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDocumentClient, ensureTable, startDynamoDbLocal, type DynamoDbLocal } from "@flint/dynamodb";
import { LAMBDA_BUNDLE } from "./build-lambda.ts";

/** Settings of the imported function. Explicit credentials keep the SDK from looking for others. */
const FUNCTION_ENVIRONMENT = {
  FLINT_TABLE: "flint-init-check",
  DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "local",
  AWS_SECRET_ACCESS_KEY: "local",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
};

/** Timings of one fresh process, in milliseconds. */
interface Run {
  importMs: number;
  cpuMs: number;
  processMs: number;
  createMs?: number;
  readMs?: number;
}

/** Source of the measuring process, which reads `BUNDLE_URL` and `FIRST_REQUEST` from its environment. */
const CHILD_SCRIPT = `
const cpu = process.cpuUsage();
const started = performance.now();
const { handler } = await import(process.env.BUNDLE_URL);
const importMs = performance.now() - started;
const used = process.cpuUsage(cpu);
const run = { importMs, cpuMs: (used.user + used.system) / 1000 };
if (process.env.FIRST_REQUEST === "1") {
  const host = "measure.lambda-url.us-east-1.on.aws";
  const event = (method, path, body) => ({
    version: "2.0", routeKey: "$default", rawPath: path, rawQueryString: "",
    headers: { host, "content-type": "application/fhir+json", accept: "application/fhir+json" },
    requestContext: { domainName: host, http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "measure" } },
    ...(body === undefined ? {} : { body }), isBase64Encoded: false,
  });
  let time = performance.now();
  const created = await handler(event("POST", "/fhir/Patient", JSON.stringify({ resourceType: "Patient", name: [{ family: "Measure" }], birthDate: "1970-01-01" })));
  run.createMs = performance.now() - time;
  if (created.statusCode !== 201) throw new Error("create returned " + created.statusCode + ": " + created.body);
  time = performance.now();
  const read = await handler(event("GET", "/fhir/Patient/" + JSON.parse(created.body).id));
  run.readMs = performance.now() - time;
  if (read.statusCode !== 200) throw new Error("read returned " + read.statusCode);
}
console.log(JSON.stringify(run));
`;

/** Imports `bundle` in `runs` fresh Node processes, one after another. */
function measure(bundle: string, runs: number, environment: Record<string, string>, firstRequest: boolean): Run[] {
  const measured: Run[] = [];
  for (let index = 0; index < runs; index++) {
    const started = performance.now();
    const output = execFileSync(process.execPath, ["--input-type=module", "-e", CHILD_SCRIPT], {
      env: { PATH: process.env.PATH ?? "", ...environment, BUNDLE_URL: pathToFileURL(bundle).href, FIRST_REQUEST: firstRequest ? "1" : "0" },
      encoding: "utf8",
    });
    const processMs = performance.now() - started;
    measured.push({ ...(JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as Run), processMs });
  }
  return measured;
}

/** Median of the values; for an even count, the mean of the two middle ones. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summary(values: readonly number[]): string {
  return `median ${median(values).toFixed(1)} ms, min ${Math.min(...values).toFixed(1)} ms, max ${Math.max(...values).toFixed(1)} ms`;
}

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  const bundle = resolve(option("--bundle") ?? LAMBDA_BUNDLE);
  const runs = Number(option("--runs") ?? "20");
  const firstRequest = process.argv.includes("--first-request");
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number of at least 1, not ${option("--runs")}.`);
  if (!existsSync(bundle)) throw new Error(`${bundle} does not exist; run npm run build:lambda first.`);

  let local: DynamoDbLocal | undefined;
  const environment: Record<string, string> = { ...FUNCTION_ENVIRONMENT };
  try {
    if (firstRequest) {
      // Without this, the SDK in this process prints its warning that Node 20 support ends in 2027.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
      local = await startDynamoDbLocal();
      const client = createDocumentClient({ endpoint: local.endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
      await ensureTable(client as unknown as DynamoDBClient, environment.FLINT_TABLE!);
      environment.DYNAMODB_ENDPOINT = local.endpoint;
    }
    const measured = measure(bundle, runs, environment, firstRequest);

    console.log(`${runs} fresh processes, Node ${process.version}, ${bundle}`);
    console.log(`import:        ${summary(measured.map((run) => run.importMs))}`);
    console.log(`import CPU:    ${summary(measured.map((run) => run.cpuMs))}`);
    console.log(`whole process: ${summary(measured.map((run) => run.processMs))}`);
    if (firstRequest) {
      console.log(`first request (create): ${summary(measured.map((run) => run.createMs ?? Number.NaN))}`);
      console.log(`second request (read):  ${summary(measured.map((run) => run.readMs ?? Number.NaN))}`);
    }
    console.log(`import times in run order: ${measured.map((run) => run.importMs.toFixed(1)).join(", ")}`);
  } finally {
    await local?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
