import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

describe("loadConfig", () => {
  it("applies defaults", () => {
    expect(loadConfig({})).toEqual({ port: 8080, host: "127.0.0.1", store: "dynamodb-local", dataDir: ".flint", table: "flint", pgSchema: "flint", runtime: "node" });
  });

  it("reads the PostgreSQL settings", () => {
    const config = loadConfig({ FLINT_STORE: "postgres", DATABASE_URL: "postgres://flint:secret@127.0.0.1:5432/flint", FLINT_PG_SCHEMA: "fhir", FLINT_PG_POOL: "2" });
    expect(config).toMatchObject({ store: "postgres", databaseUrl: "postgres://flint:secret@127.0.0.1:5432/flint", pgSchema: "fhir", pgPool: 2 });
  });

  it("requires DATABASE_URL for postgres", () => {
    expect(() => loadConfig({ FLINT_STORE: "postgres" })).toThrow(/DATABASE_URL is required/);
  });

  it("never echoes a bad DATABASE_URL, which may hold a password", () => {
    const error = (() => {
      try {
        loadConfig({ FLINT_STORE: "postgres", DATABASE_URL: "mysql://flint:hunter2@db/flint" });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error("expected a ConfigError");
    })();
    expect(error.message).toContain("DATABASE_URL");
    expect(error.message).not.toContain("hunter2");
  });

  it("reads every setting", () => {
    const config = loadConfig({
      PORT: "9000",
      FLINT_STORE: "dynamodb",
      FLINT_TABLE: "fhir-prod",
      DYNAMODB_ENDPOINT: "http://127.0.0.1:8000",
      AWS_REGION: "eu-west-1",
      FLINT_BASE_URL: "https://fhir.example.org/fhir",
      FLINT_MAX_BODY_BYTES: "1048576",
      FLINT_RUNTIME: "deno",
    });
    expect(config).toMatchObject({
      port: 9000,
      store: "dynamodb",
      table: "fhir-prod",
      dynamoDbEndpoint: "http://127.0.0.1:8000",
      region: "eu-west-1",
      baseUrl: "https://fhir.example.org/fhir",
      maxBodyBytes: 1_048_576,
      runtime: "deno",
    });
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ FLINT_STORE: "mongo" }, "FLINT_STORE"],
    [{ FLINT_STORE: "dynamodb" }, "FLINT_TABLE"],
    [{ DYNAMODB_ENDPOINT: "localhost:8000" }, "DYNAMODB_ENDPOINT"],
    [{ FLINT_BASE_URL: "https://x.org/fhir/" }, "FLINT_BASE_URL"],
    [{ FLINT_MAX_BODY_BYTES: "0" }, "FLINT_MAX_BODY_BYTES"],
    [{ FLINT_RUNTIME: "workerd" }, "FLINT_RUNTIME"],
  ])("names the bad setting in %j", (environment, name) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(name);
  });
});
