import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createDocumentClient, ensureTable } from "@flint/dynamodb";
import type { LambdaHandler } from "../../functions/adapter.ts";
import { buildLambda } from "../../scripts/build-lambda.ts";
import { functionUrl } from "./events.ts";

/**
 * Imports the built bundle with the environment Lambda sets, so metrics are on, and checks what
 * one create writes to standard output: the request log line and the EMF metrics line with the
 * capacity DynamoDB Local reported. Tracing is switched off, so no segment is sent anywhere.
 */
let handler: LambdaHandler;
const lines: string[] = [];

beforeAll(async () => {
  const endpoint = inject("dynamoDbEndpoint");
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  const tableName = `flint-lambda-obs-${process.pid}-${Date.now()}`;
  await ensureTable(createDocumentClient({ endpoint, region: "us-east-1", credentials }) as unknown as DynamoDBClient, tableName);

  const environment: Record<string, string> = {
    FLINT_TABLE: tableName,
    DYNAMODB_ENDPOINT: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: "flint-test-api",
    LAMBDA_TASK_ROOT: "/var/task",
    FLINT_TRACING: "off",
  };
  for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  const built = await buildLambda({ outdir: mkdtempSync(join(tmpdir(), "flint-lambda-obs-")) });
  ({ handler } = (await import(`${pathToFileURL(built.dynamodb.outfile).href}?observability=on`)) as { handler: LambdaHandler });

  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write);
}, 120_000);

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("Lambda observability", () => {
  it("logs and measures a create on Lambda", async () => {
    const event = functionUrl().toEvent({
      method: "POST",
      path: "/fhir/Patient",
      headers: [["content-type", "application/fhir+json"]],
      body: JSON.stringify({ resourceType: "Patient", name: [{ family: "Observed" }] }),
    });
    const context = { awsRequestId: "req-observed-1", functionName: "flint-test-api" };
    const result = await (handler as (event: unknown, context: unknown) => Promise<{ statusCode: number }>)(event, context);
    expect(result.statusCode).toBe(201);

    const records = lines.flatMap((line) => line.split("\n")).filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
    const log = records.find((record) => record.interaction === "create" && record.status === 201);
    expect(log).toBeDefined();
    expect(log.lambdaRequestId).toBe("req-observed-1");
    expect(JSON.stringify(log)).not.toContain("Observed");

    const emf = records.find((record) => record._aws?.CloudWatchMetrics !== undefined);
    expect(emf).toBeDefined();
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe("Flint");
    const metrics = emf._aws.CloudWatchMetrics[0].Metrics.map((metric: { Name: string }) => metric.Name);
    expect(metrics).toEqual(expect.arrayContaining(["Requests", "Latency"]));
    expect(JSON.stringify(emf)).toMatch(/Capacity/);
  });
});
