import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatRequestEmf, readObservabilitySettings } from "@flint/api";
import { tableDefinition } from "@flint/dynamodb";
import { HISTORY_PROJECTION } from "../../packages/dynamodb/src/entities.ts";
import { HISTORY_ATTRIBUTES, METRICS_NAMESPACE, REQUEST_METRICS, TABLE_ACTIONS, TABLE_FIELDS, TABLE_INDEXES, TABLE_OPERATIONS } from "../../stacks/schema.ts";
import { functionCode } from "../../stacks/api.ts";
import { deployStore, stageSettings } from "../../stacks/stage.ts";

describe("stack table schema", () => {
  const definition = tableDefinition("flint");

  it("declares the key attributes of the code", () => {
    const attributes = definition.AttributeDefinitions!.map((attribute) => attribute.AttributeName).sort();

    expect(Object.keys(TABLE_FIELDS).sort()).toEqual(attributes);
  });

  it("declares the indexes of the code", () => {
    const indexes = definition.GlobalSecondaryIndexes!.map((index) => index.IndexName);

    expect([...TABLE_INDEXES]).toEqual(indexes);
  });

  it("projects the history attributes", () => {
    expect(HISTORY_ATTRIBUTES).toEqual(HISTORY_PROJECTION);
  });
});

describe("stack permissions", () => {
  it("allow every operation the alarms watch", () => {
    const granted = new Set(TABLE_ACTIONS.map((action) => action.replace("dynamodb:", "")));
    const needed = TABLE_OPERATIONS.filter((operation) => operation !== "TransactWriteItems");

    for (const operation of needed) expect(granted).toContain(operation);
  });

  it("allow the actions inside a transaction", () => {
    for (const action of ["PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"]) expect(TABLE_ACTIONS).toContain(`dynamodb:${action}`);
  });

  it("leave out table administration and scans", () => {
    for (const action of ["DeleteTable", "UpdateTable", "CreateTable", "Scan", "*"]) expect(TABLE_ACTIONS).not.toContain(`dynamodb:${action}`);
  });
});

describe("stack metric names", () => {
  const record = formatRequestEmf(
    { requestId: "r", method: "GET", interaction: "read", status: 200, durationMs: 1, dynamoDbCalls: 1, readCapacityUnits: 1, writeCapacityUnits: 0 },
    { namespace: METRICS_NAMESPACE, service: "flint-test", timestamp: 0 },
  );
  const written = record._aws.CloudWatchMetrics[0]!.Metrics.map((metric) => metric.Name);

  it("match the metrics Flint writes", () => {
    for (const name of Object.values(REQUEST_METRICS)) expect(written).toContain(name);
  });

  it("use the namespace Flint defaults to", () => {
    expect(readObservabilitySettings({}).namespace).toBe(METRICS_NAMESPACE);
  });
});

describe("stageSettings", () => {
  const app = { name: "flint", stage: "dev" };

  it("keeps production logs for a year", () => {
    const settings = stageSettings({ name: "flint", stage: "production" }, {});

    expect(settings.production).toBe(true);
    expect(settings.logRetention).toBe("1 year");
    expect(settings.metricsService).toBe("flint-production");
  });

  it("keeps other stages' logs for two weeks", () => {
    const settings = stageSettings(app, {});

    expect(settings.production).toBe(false);
    expect(settings.logRetention).toBe("2 weeks");
    expect(settings.store).toBe("dynamodb");
    expect(settings.alarmEmail).toBeUndefined();
    expect(settings.domain).toBeUndefined();
  });

  it("reads the alarm email and domain", () => {
    const settings = stageSettings(app, { FLINT_ALARM_EMAIL: "oncall@example.org", FLINT_DOMAIN: "fhir.example.org", FLINT_DEPLOY_STORE: "aurora" });

    expect(settings.alarmEmail).toBe("oncall@example.org");
    expect(settings.domain).toBe("fhir.example.org");
    expect(settings.store).toBe("aurora");
  });

  it.each([
    [{ FLINT_ALARM_EMAIL: "oncall" }, /FLINT_ALARM_EMAIL must be an email address/],
    [{ FLINT_DOMAIN: "https://fhir.example.org" }, /FLINT_DOMAIN must be a lower-case host name/],
    [{ FLINT_DEPLOY_STORE: "mysql" }, /FLINT_DEPLOY_STORE must be dynamodb, rds or aurora/],
  ])("rejects %j", (environment, message) => {
    expect(() => stageSettings(app, environment)).toThrow(message);
  });

  it("defaults the store to DynamoDB", () => {
    expect(deployStore(undefined)).toBe("dynamodb");
    expect(deployStore("")).toBe("dynamodb");
  });
});

describe("functionCode", () => {
  const root = mkdtempSync(join(tmpdir(), "flint-stack-"));

  it("runs the sources in sst dev", () => {
    expect(functionCode("dynamodb", true, root)).toEqual({ handler: "functions/api.handler" });
    expect(functionCode("aurora", true, root)).toEqual({ handler: "functions/api-postgres.handler" });
  });

  it("asks for the bundle before a deploy", () => {
    expect(() => functionCode("dynamodb", false, root)).toThrow(/dist\/functions\/api\.mjs does not exist: run npm run build:lambda/);
  });

  it("deploys each store's bundle", () => {
    for (const folder of ["functions", "functions-postgres"]) {
      mkdirSync(join(root, "dist", folder), { recursive: true });
      writeFileSync(join(root, "dist", folder, "api.mjs"), "export const handler = () => {};");
    }

    expect(functionCode("dynamodb", false, root)).toEqual({ bundle: join("dist", "functions"), handler: "api.handler" });
    expect(functionCode("rds", false, root)).toEqual({ bundle: join("dist", "functions-postgres"), handler: "api.handler" });
  });
});
