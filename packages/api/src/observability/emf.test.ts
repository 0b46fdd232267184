import { describe, expect, it } from "vitest";
import { createCapacityMeter } from "./capacity.ts";
import { createEmfMetrics, formatRequestEmf, REQUEST_DIMENSIONS } from "./emf.ts";
import type { RequestSummary } from "./request.ts";

const READ: RequestSummary = { requestId: "r-1", method: "GET", interaction: "read", resourceType: "Patient", status: 200, durationMs: 12.5 };
const OPTIONS = { namespace: "Flint", service: "flint-test", timestamp: 1_767_225_600_000 };

describe("formatRequestEmf", () => {
  it("puts the metric metadata under _aws", () => {
    const record = formatRequestEmf(READ, OPTIONS);

    expect(record._aws.Timestamp).toBe(1_767_225_600_000);
    expect(record._aws.CloudWatchMetrics).toHaveLength(1);
    const directive = record._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe("Flint");
    expect(directive.Dimensions).toEqual([["Service"], ["Service", "Interaction"]]);
    expect(directive.Metrics).toEqual([
      { Name: "Requests", Unit: "Count" },
      { Name: "ServerErrors", Unit: "Count" },
      { Name: "ClientErrors", Unit: "Count" },
      { Name: "Latency", Unit: "Milliseconds" },
    ]);
  });

  it("gives every dimension and metric a value", () => {
    const record = formatRequestEmf(READ, OPTIONS);
    const directive = record._aws.CloudWatchMetrics[0]!;

    for (const name of directive.Dimensions.flat()) expect(typeof record[name]).toBe("string");
    for (const metric of directive.Metrics) expect(typeof record[metric.Name]).toBe("number");
    expect(record.Service).toBe("flint-test");
    expect(record.Interaction).toBe("read");
    expect(record.Requests).toBe(1);
    expect(record.Latency).toBe(12.5);
  });

  it("keeps ids and status as properties", () => {
    const record = formatRequestEmf({ ...READ, lambdaRequestId: "lambda-1" }, OPTIONS);

    expect(record.requestId).toBe("r-1");
    expect(record.lambdaRequestId).toBe("lambda-1");
    expect(record.resourceType).toBe("Patient");
    expect(record.status).toBe(200);
    expect(REQUEST_DIMENSIONS.flat()).not.toContain("resourceType");
  });

  it.each([
    [200, 0, 0],
    [404, 0, 1],
    [412, 0, 1],
    [500, 1, 0],
    [503, 1, 0],
  ])("counts status %i as %i server and %i client errors", (status, server, client) => {
    const record = formatRequestEmf({ ...READ, status }, OPTIONS);

    expect(record.ServerErrors).toBe(server);
    expect(record.ClientErrors).toBe(client);
  });

  it("names unmatched requests none", () => {
    const record = formatRequestEmf({ requestId: "r-2", method: "GET", status: 404, durationMs: 1 }, OPTIONS);

    expect(record.Interaction).toBe("none");
  });

  it("adds capacity metrics after DynamoDB calls", () => {
    const record = formatRequestEmf({ ...READ, dynamoDbCalls: 2, readCapacityUnits: 1.5, writeCapacityUnits: 0 }, OPTIONS);
    const names = record._aws.CloudWatchMetrics[0]!.Metrics.map((metric) => metric.Name);

    expect(names).toContain("DynamoDbCalls");
    expect(names).toContain("ConsumedReadCapacity");
    expect(names).toContain("ConsumedWriteCapacity");
    expect(record.DynamoDbCalls).toBe(2);
    expect(record.ConsumedReadCapacity).toBe(1.5);
    expect(record.ConsumedWriteCapacity).toBe(0);
  });

  it("leaves capacity out without DynamoDB calls", () => {
    const record = formatRequestEmf({ ...READ, dynamoDbCalls: 0, readCapacityUnits: 0, writeCapacityUnits: 0 }, OPTIONS);
    const names = record._aws.CloudWatchMetrics[0]!.Metrics.map((metric) => metric.Name);

    expect(names).not.toContain("DynamoDbCalls");
    expect(record).not.toHaveProperty("ConsumedReadCapacity");
  });
});

describe("createEmfMetrics", () => {
  it("writes one JSON line per request", () => {
    const lines: string[] = [];
    const metrics = createEmfMetrics({ namespace: "Flint", service: "flint-test", write: (line) => lines.push(line), now: () => 42 });

    metrics.record(READ);

    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    expect(JSON.parse(lines[0]!)._aws.Timestamp).toBe(42);
  });

  it("measures capacity with a meter", async () => {
    const meter = createCapacityMeter();
    const metrics = createEmfMetrics({ namespace: "Flint", service: "flint-test", write: () => {}, meter });

    const usage = await metrics.measure(async () => meter.add({ readCapacityUnits: 1, writeCapacityUnits: 2 }));

    expect(usage).toEqual({ dynamoDbCalls: 1, readCapacityUnits: 1, writeCapacityUnits: 2 });
  });

  it("measures nothing without a meter", async () => {
    const metrics = createEmfMetrics({ namespace: "Flint", service: "flint-test", write: () => {} });
    let ran = false;

    const usage = await metrics.measure(async () => {
      ran = true;
    });

    expect(ran).toBe(true);
    expect(usage).toBeUndefined();
  });
});
