import { describe, expect, it } from "vitest";
import { FhirError } from "@flint/core";
import type { FhirRepository } from "@flint/repository";
import { createApp } from "../app.ts";
import { createLambdaObservability, readTraceRoot, type LambdaObservability } from "./lambda.ts";
import { readObservabilitySettings } from "./settings.ts";

/** Environment variables that the Lambda runtime sets, as far as Flint reads them. */
const LAMBDA = {
  AWS_LAMBDA_FUNCTION_NAME: "flint-test-Api",
  LAMBDA_TASK_ROOT: "/var/task",
  _X_AMZN_TRACE_ID: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
};

/**
 * Serves one read of a missing Patient through the app. The repository reports DynamoDB
 * capacity the way an observed client would, then raises not-found. Returns the lines written.
 */
async function readMissingPatient(environment: Record<string, string | undefined>, bindings?: object) {
  const lines: Array<{ stream: "stdout" | "stderr"; line: string }> = [];
  const observability: LambdaObservability = createLambdaObservability(environment, {
    stdout: (line) => lines.push({ stream: "stdout", line }),
    stderr: (line) => lines.push({ stream: "stderr", line }),
  });
  const repository = {
    read: async () => {
      observability.dynamoDb.onConsumedCapacity?.({ readCapacityUnits: 0.5, writeCapacityUnits: 0 });
      throw new FhirError("not-found", "Patient/missing is not known.");
    },
  } as unknown as FhirRepository;
  const app = createApp({ repository, logger: observability.logger, metrics: observability.metrics });

  const headers = { authorization: "Bearer secret-token-3f9a", cookie: "session=secret-cookie-77c1" };
  const response = await app.fetch(new Request("http://flint.test/fhir/Patient/missing", { headers }), bindings);

  return { response, lines, parsed: lines.map((entry) => JSON.parse(entry.line) as Record<string, unknown>) };
}

describe("readObservabilitySettings", () => {
  it("turns everything off outside Lambda", () => {
    const settings = readObservabilitySettings({});

    expect(settings.lambda).toBe(false);
    expect(settings.metrics).toBe(false);
    expect(settings.tracing).toBe(false);
  });

  it("needs LAMBDA_TASK_ROOT besides the function name", () => {
    const settings = readObservabilitySettings({ AWS_LAMBDA_FUNCTION_NAME: "flint-test-Api" });

    expect(settings.lambda).toBe(false);
    expect(settings.metrics).toBe(false);
    expect(settings.tracing).toBe(false);
  });

  it("turns everything on inside Lambda", () => {
    const settings = readObservabilitySettings(LAMBDA);

    expect(settings.lambda).toBe(true);
    expect(settings.metrics).toBe(true);
    expect(settings.tracing).toBe(true);
    expect(settings.namespace).toBe("Flint");
    expect(settings.service).toBe("flint-test-Api");
  });

  it("honours off inside Lambda", () => {
    const settings = readObservabilitySettings({ ...LAMBDA, FLINT_METRICS: "off", FLINT_TRACING: "off" });

    expect(settings.metrics).toBe(false);
    expect(settings.tracing).toBe(false);
  });

  it("turns EMF on outside Lambda when asked", () => {
    const settings = readObservabilitySettings({ FLINT_METRICS: "emf", FLINT_METRICS_SERVICE: "flint-ecs", FLINT_METRICS_NAMESPACE: "FlintEcs" });

    expect(settings.metrics).toBe(true);
    expect(settings.tracing).toBe(false);
    expect(settings.service).toBe("flint-ecs");
    expect(settings.namespace).toBe("FlintEcs");
  });

  it.each([
    [{ FLINT_METRICS: "yes" }, /FLINT_METRICS must be one of "auto", "off", "emf" \(got "yes"\)/],
    [{ FLINT_TRACING: "xray" }, /FLINT_TRACING must be one of "auto", "off" \(got "xray"\)/],
    [{ FLINT_METRICS_NAMESPACE: "AWS/Lambda" }, /FLINT_METRICS_NAMESPACE must .* not start with "AWS\/"/],
  ])("rejects %j", (environment, message) => {
    expect(() => readObservabilitySettings(environment)).toThrow(message);
  });
});

describe("createLambdaObservability outside Lambda", () => {
  it("writes the request log line and no EMF", async () => {
    const { response, lines, parsed } = await readMissingPatient({});

    expect(response.status).toBe(404);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.stream).toBe("stdout");
    expect(parsed[0]).not.toHaveProperty("_aws");
    expect(parsed[0]).toMatchObject({ level: "info", interaction: "read", resourceType: "Patient", status: 404 });
    expect(parsed[0]).not.toHaveProperty("traceId");
    expect(parsed[0]).not.toHaveProperty("readCapacityUnits");
  });

  it("logs no header values", async () => {
    const { lines } = await readMissingPatient({});

    expect(lines[0]!.line).not.toContain("secret-token-3f9a");
    expect(lines[0]!.line).not.toContain("secret-cookie-77c1");
  });

  it("leaves DynamoDB untraced and uncounted", () => {
    const observability = createLambdaObservability({}, { stdout: () => {}, stderr: () => {} });

    expect(observability.dynamoDb.tracing).toBe(false);
    expect(observability.dynamoDb.onConsumedCapacity).toBeUndefined();
  });
});

describe("createLambdaObservability inside Lambda", () => {
  it("writes a log line and an EMF line per request", async () => {
    const { lines, parsed } = await readMissingPatient(LAMBDA, { lambdaContext: { awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678" } });

    expect(lines).toHaveLength(2);
    expect(lines.every((entry) => entry.stream === "stdout")).toBe(true);
    const [log, emf] = parsed;
    expect(log).not.toHaveProperty("_aws");
    expect(emf).toHaveProperty("_aws");
    expect(log!.requestId).toBe(emf!.requestId);
  });

  it("logs the Lambda request id, trace id and capacity", async () => {
    const { parsed } = await readMissingPatient(LAMBDA, { lambdaContext: { awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678" } });
    const log = parsed[0]!;

    expect(log.lambdaRequestId).toBe("c6af9ac6-7b61-11e6-9a41-93e812345678");
    expect(log.traceId).toBe("1-5759e988-bd862e3fe1be46a994272793");
    expect(log.method).toBe("GET");
    expect(log.interaction).toBe("read");
    expect(log.status).toBe(404);
    expect(typeof log.durationMs).toBe("number");
    expect(log.dynamoDbCalls).toBe(1);
    expect(log.readCapacityUnits).toBe(0.5);
  });

  it("keeps header values out of both lines", async () => {
    const { lines } = await readMissingPatient(LAMBDA);

    for (const entry of lines) expect(entry.line).not.toMatch(/secret-(token|cookie)/);
  });

  it("emits EMF with the service and interaction dimensions", async () => {
    const { parsed } = await readMissingPatient(LAMBDA);
    const emf = parsed[1] as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> } } & Record<string, unknown>;

    expect(emf._aws.CloudWatchMetrics[0]!.Namespace).toBe("Flint");
    expect(emf._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([["Service"], ["Service", "Interaction"]]);
    expect(emf.Service).toBe("flint-test-Api");
    expect(emf.Interaction).toBe("read");
    expect(emf.ClientErrors).toBe(1);
    expect(emf.ConsumedReadCapacity).toBe(0.5);
  });

  it("asks DynamoDB for tracing and capacity", () => {
    const observability = createLambdaObservability(LAMBDA, { stdout: () => {}, stderr: () => {} });

    expect(observability.dynamoDb.tracing).toBe(true);
    expect(observability.dynamoDb.onConsumedCapacity).toBeTypeOf("function");
  });
});

describe("readTraceRoot", () => {
  it.each([
    ["Root=1-abc;Parent=def;Sampled=1", "1-abc"],
    ["Parent=def;Root=1-abc", "1-abc"],
    ["Sampled=0", undefined],
    [undefined, undefined],
  ])("reads %s", (header, root) => {
    expect(readTraceRoot(header)).toBe(root);
  });
});
