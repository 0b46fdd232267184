import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyResult } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { createDocumentClient, ensureTable } from "@flint/dynamodb";
import type { LambdaHandler } from "../../functions/adapter.ts";
import { buildLambda } from "../../scripts/build-lambda.ts";
import { functionUrl, httpApi, loadBalancer, responseHeader, restApi, type ClientRequest, type EventSource } from "./events.ts";

/**
 * Builds the Lambda bundles, imports the DynamoDB one (`functions/api.mjs`) as Lambda would,
 * with its settings pointing at a fresh table on DynamoDB Local, and calls `handler` with the
 * events of each AWS service in front of a function.
 */
let handler: LambdaHandler;
let postgresBundleUrl: string;

beforeAll(async () => {
  const endpoint = inject("dynamoDbEndpoint");
  const credentials = { accessKeyId: "local", secretAccessKey: "local" };
  const tableName = `flint-lambda-${process.pid}-${Date.now()}`;
  await ensureTable(createDocumentClient({ endpoint, region: "us-east-1", credentials }) as unknown as DynamoDBClient, tableName);

  vi.stubEnv("FLINT_TABLE", tableName);
  vi.stubEnv("DYNAMODB_ENDPOINT", endpoint);
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ACCESS_KEY_ID", credentials.accessKeyId);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey);
  const built = await buildLambda({ outdir: mkdtempSync(join(tmpdir(), "flint-lambda-")) });
  postgresBundleUrl = pathToFileURL(built.postgres.outfile).href;
  ({ handler } = (await import(pathToFileURL(built.dynamodb.outfile).href)) as { handler: LambdaHandler });
}, 120_000);

afterAll(() => {
  vi.unstubAllEnvs();
});

const FHIR_JSON = /^application\/fhir\+json(;|$)/;

const SOURCES: EventSource[] = [restApi(), httpApi(), functionUrl(), loadBalancer({ multiValueHeaders: false }), loadBalancer({ multiValueHeaders: true })];

function json(result: APIGatewayProxyResult): Record<string, any> {
  const text = result.isBase64Encoded ? Buffer.from(result.body, "base64").toString("utf8") : result.body;
  return JSON.parse(text) as Record<string, any>;
}

function fhirPost(path: string, resource: unknown, options: { base64?: boolean } = {}): ClientRequest {
  return {
    method: "POST",
    path,
    headers: [
      ["Content-Type", "application/fhir+json"],
      ["Accept", "application/fhir+json"],
    ],
    body: JSON.stringify(resource),
    ...options,
  };
}

function fhirGet(path: string, query: Array<[string, string]> = []): ClientRequest {
  return { method: "GET", path, query, headers: [["Accept", "application/fhir+json"]] };
}

function patient(family: string, birthDate: string, identifier: string) {
  return {
    resourceType: "Patient",
    identifier: [{ system: "urn:example:lambda-mrn", value: identifier }],
    name: [{ family, given: ["Ada"] }],
    birthDate,
  };
}

describe.each(SOURCES)("$name", (source) => {
  const tag = source.name.replace(/[^A-Za-z0-9]/g, "");

  async function invoke(request: ClientRequest): Promise<APIGatewayProxyResult> {
    const result = await handler(source.toEvent(request));
    expect(Object.hasOwn(result, source.multiValueResponse ? "headers" : "multiValueHeaders")).toBe(false);
    if (source.statusDescription) expect(result.statusDescription).toMatch(new RegExp(`^${result.statusCode} [A-Z]`));
    else expect(result.statusDescription).toBeUndefined();
    return result;
  }

  it("creates from a JSON body", async () => {
    const result = await invoke(fhirPost("/fhir/Patient", patient(`Json${tag}`, "1980-02-03", `${tag}-json`)));

    expect(result.statusCode).toBe(201);
    const body = json(result);
    expect(body.resourceType).toBe("Patient");
    expect(body.name[0].family).toBe(`Json${tag}`);
    expect(responseHeader(source, result, "Content-Type")).toMatch(FHIR_JSON);
    expect(responseHeader(source, result, "ETag")).toBe('W/"1"');
    expect(responseHeader(source, result, "Location")).toBe(`${source.baseUrl}/Patient/${body.id}/_history/1`);
    if (source.statusDescription) expect(result.statusDescription).toBe("201 Created");
  });

  it("creates from a base64 body", async () => {
    const result = await invoke(fhirPost("/fhir/Patient", patient(`Base64${tag}`, "1981-04-05", `${tag}-base64`), { base64: true }));

    expect(result.statusCode).toBe(201);
    const body = json(result);
    expect(body.name[0].family).toBe(`Base64${tag}`);
    expect(responseHeader(source, result, "Location")).toBe(`${source.baseUrl}/Patient/${body.id}/_history/1`);
  });

  it("reads a created resource", async () => {
    const created = json(await invoke(fhirPost("/fhir/Patient", patient(`Read${tag}`, "1982-06-07", `${tag}-read`))));

    const result = await invoke(fhirGet(`/fhir/Patient/${created.id}`));

    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(false);
    expect(json(result)).toMatchObject({ resourceType: "Patient", id: created.id, birthDate: "1982-06-07" });
    expect(responseHeader(source, result, "Content-Type")).toMatch(FHIR_JSON);
    expect(responseHeader(source, result, "ETag")).toBe('W/"1"');
    expect(responseHeader(source, result, "Last-Modified")).toMatch(/GMT$/);
  });

  it("searches with repeated parameters", async () => {
    const family = `Search${tag}`;
    const ids: Record<string, string> = {};
    for (const birthDate of ["1960-01-01", "1975-06-15", "1990-12-31"]) {
      ids[birthDate] = json(await invoke(fhirPost("/fhir/Patient", patient(family, birthDate, `${tag}-${birthDate}`)))).id;
    }

    // Both bounds must reach the server: the first alone also matches 1990, the last alone 1960.
    const result = await invoke(
      fhirGet("/fhir/Patient", [
        ["family", family],
        ["birthdate", "ge1970-01-01"],
        ["birthdate", "lt1980-01-01"],
      ]),
    );

    expect(result.statusCode).toBe(200);
    expect(responseHeader(source, result, "Content-Type")).toMatch(FHIR_JSON);
    const bundle = json(result);
    expect(bundle.type).toBe("searchset");
    const found = bundle.entry.map((entry: { resource: { id: string } }) => entry.resource.id);
    if (source.repeatedQuery) {
      expect(found).toEqual([ids["1975-06-15"]]);
      expect(bundle.entry[0].fullUrl).toBe(`${source.baseUrl}/Patient/${ids["1975-06-15"]}`);
      expect(bundle.link.find((link: { relation: string }) => link.relation === "self").url).toContain("birthdate=ge1970-01-01");
    } else {
      // The load balancer passes only the last value, so the search runs with birthdate=lt1980-01-01 alone.
      expect(new Set(found)).toEqual(new Set([ids["1960-01-01"], ids["1975-06-15"]]));
    }
  });

  it("searches by a token with system and code", async () => {
    const created = json(await invoke(fhirPost("/fhir/Patient", patient(`Token${tag}`, "1970-01-01", `${tag} token/1`))));

    const result = await invoke(fhirGet("/fhir/Patient", [["identifier", `urn:example:lambda-mrn|${tag} token/1`]]));

    expect(result.statusCode).toBe(200);
    expect(json(result).entry.map((entry: { resource: { id: string } }) => entry.resource.id)).toEqual([created.id]);
  });

  it("runs a transaction bundle", async () => {
    const transaction = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: "urn:uuid:0b7e6a0c-93f4-4f55-9a0c-3c1d3f4a8e21",
          resource: patient(`Transaction${tag}`, "1985-08-09", `${tag}-transaction`),
          request: { method: "POST", url: "Patient" },
        },
        {
          resource: {
            resourceType: "Observation",
            status: "final",
            code: { coding: [{ system: "http://loinc.org", code: "8867-4" }] },
            subject: { reference: "urn:uuid:0b7e6a0c-93f4-4f55-9a0c-3c1d3f4a8e21" },
            valueQuantity: { value: 72, unit: "/min", system: "http://unitsofmeasure.org", code: "/min" },
          },
          request: { method: "POST", url: "Observation" },
        },
      ],
    };

    const result = await invoke(fhirPost("/fhir", transaction));

    expect(result.statusCode).toBe(200);
    expect(responseHeader(source, result, "Content-Type")).toMatch(FHIR_JSON);
    const response = json(result);
    expect(response.type).toBe("transaction-response");
    expect(response.entry.map((entry: { response: { status: string } }) => entry.response.status)).toEqual(["201 Created", "201 Created"]);
    const [patientLocation, observationLocation] = response.entry.map((entry: { response: { location: string } }) => entry.response.location);
    expect(patientLocation).toMatch(/^Patient\/[^/]+\/_history\/1$/);
    const observation = json(await invoke(fhirGet(`/fhir/${observationLocation.replace(/\/_history\/\d+$/, "")}`)));
    expect(observation.subject.reference).toBe(patientLocation.replace(/\/_history\/\d+$/, ""));
  });

  it("returns 404 with an OperationOutcome", async () => {
    const result = await invoke(fhirGet("/fhir/Patient/does-not-exist"));

    expect(result.statusCode).toBe(404);
    expect(responseHeader(source, result, "Content-Type")).toMatch(FHIR_JSON);
    const outcome = json(result);
    expect(outcome.resourceType).toBe("OperationOutcome");
    expect(outcome.issue[0].code).toBe("not-found");
    if (source.statusDescription) expect(result.statusDescription).toBe("404 Not Found");
  });

  it("returns 400 for a body that is not JSON", async () => {
    const result = await invoke({ ...fhirPost("/fhir/Patient", {}), body: '{"resourceType": "Patient",' });

    expect(result.statusCode).toBe(400);
    expect(responseHeader(source, result, "Content-Type")).toMatch(FHIR_JSON);
    const outcome = json(result);
    expect(outcome.resourceType).toBe("OperationOutcome");
    expect(outcome.issue[0].severity).toBe("error");
  });
});

describe("PostgreSQL store", () => {
  const postgresUrl = inject("postgresUrl");

  it.skipIf(postgresUrl === "")("creates and reads through the bundle", async () => {
    vi.stubEnv("DATABASE_URL", postgresUrl);
    vi.stubEnv("FLINT_PG_SCHEMA", `lambda_${process.pid}_${Date.now()}`);
    vi.stubEnv("FLINT_PG_POOL", "1");
    const source = functionUrl();

    const { handler: postgresHandler } = (await import(postgresBundleUrl)) as { handler: LambdaHandler };
    const created = await postgresHandler(source.toEvent(fhirPost("/fhir/Patient", patient("Postgres", "1977-07-07", "postgres-1"))));
    const read = await postgresHandler(source.toEvent(fhirGet(`/fhir/Patient/${json(created).id}`)));

    expect(created.statusCode).toBe(201);
    expect(responseHeader(source, created, "Location")).toBe(`${source.baseUrl}/Patient/${json(created).id}/_history/1`);
    expect(read.statusCode).toBe(200);
    expect(json(read).name[0].family).toBe("Postgres");
  });
});

describe("Application Load Balancer specifics", () => {
  it("builds http URLs behind an HTTP listener", async () => {
    const source = loadBalancer({ multiValueHeaders: true, proto: "http" });

    const result = await handler(source.toEvent(fhirPost("/fhir/Patient", patient("PlainHttp", "1979-03-04", "plain-http"))));

    expect(result.statusCode).toBe(201);
    expect(responseHeader(source, result, "Location")).toMatch(/^http:\/\/flint-alb-1234567890\.us-east-1\.elb\.amazonaws\.com\/fhir\/Patient\/[^/]+\/_history\/1$/);
  });

  it("joins repeated Accept headers as a list", async () => {
    const source = loadBalancer({ multiValueHeaders: true });
    const request = fhirGet("/fhir/metadata");
    request.headers = [
      ["Accept", "text/html"],
      ["Accept", "application/fhir+json"],
    ];

    const result = await handler(source.toEvent(request));

    // Joined with "; " the two would read as text/html with a parameter, and get 406.
    expect(result.statusCode).toBe(200);
    expect(json(result).resourceType).toBe("CapabilityStatement");
  });

  it("answers a health check without a Host header", async () => {
    const event = {
      requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/flint/6d0ecf831eec9f09" } },
      httpMethod: "GET",
      path: "/fhir/metadata",
      queryStringParameters: {},
      headers: { "user-agent": "ELB-HealthChecker/2.0" },
      body: "",
      isBase64Encoded: false,
    };

    const result = await handler(event);

    expect(result.statusCode).toBe(200);
    expect(result.statusDescription).toBe("200 OK");
    expect(json(result).implementation.url).toBe("https://localhost/fhir");
  });
});
