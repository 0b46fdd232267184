import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Resource } from "fhir/r4";
import { DeleteCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, inject, it } from "vitest";
import { createPostgresRepository, openPglite, openPostgres, type SqlClient } from "@flint/postgres";
import { createTestRepository } from "../setup/dynamodb.ts";

const run = promisify(execFile);
const ENTRY = resolve("packages/server/src/check.ts");

/** Runs the check command with only the given settings and returns its exit code and output. */
async function check(settings: Record<string, string>): Promise<{ code: number; findings: Array<{ problem: string; keys: string[] }>; stdout: string; stderr: string }> {
  const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", AWS_EC2_METADATA_DISABLED: "true", ...settings };
  const outcome = await run(process.execPath, ["--import", "tsx", ENTRY], { env, timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
  const findings = outcome.stdout.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
  return { ...outcome, findings };
}

const PATIENT = { resourceType: "Patient", id: "checked", identifier: [{ system: "urn:example:mrn", value: "4711" }], name: [{ family: "Sample" }] } as Resource & { id: string };

describe("npm run check", () => {
  it("DynamoDB: clean, then one finding", async () => {
    const { repository, client, tableName } = await createTestRepository();
    await repository.create(PATIENT);
    const settings = { FLINT_STORE: "dynamodb", FLINT_TABLE: tableName, DYNAMODB_ENDPOINT: inject("dynamoDbEndpoint"), AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };

    const clean = await check(settings);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.findings).toEqual([]);

    const { Items } = await client.send(new ScanCommand({ TableName: tableName }));
    const indexItem = Items!.find((item) => String(item.pk).startsWith("I#T#Patient#identifier"))!;
    await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: indexItem.pk, sk: indexItem.sk } }));

    const broken = await check(settings);
    expect(broken.code, broken.stderr).toBe(1);
    expect(broken.findings).toEqual([{ problem: "index item missing", keys: ["R#Patient#checked", String(indexItem.pk)] }]);
    expect(broken.stderr).toContain("1 findings on 1 resources");
    expect(broken.stdout).not.toContain("Sample");
  }, 60_000);

  it("PostgreSQL: clean, then one finding", async (context) => {
    const url = inject("postgresUrl");
    if (url === "") return context.skip();
    const client = openPostgres(url, { max: 1 });
    const schema = `check_command_${process.pid}`;
    try {
      const repository = await createPostgresRepository({ client, schema });
      await repository.create(PATIENT);
      const settings = { FLINT_STORE: "postgres", DATABASE_URL: url, FLINT_PG_SCHEMA: schema };

      const clean = await check(settings);
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.findings).toEqual([]);

      await client.query(`DELETE FROM "${schema}"."search_token" WHERE id = 'checked' AND param = 'identifier'`);
      const broken = await check(settings);
      expect(broken.code, broken.stderr).toBe(1);
      expect(broken.findings).toHaveLength(1);
      expect(broken.findings[0]!.problem).toBe("token index row missing");
      expect(broken.findings[0]!.keys[0]).toBe("Patient/checked");
      expect(`${broken.stdout}${broken.stderr}`).not.toContain(url);
    } finally {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.close();
    }
  }, 60_000);

  it("PGlite: clean, then one finding", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "flint-check-"));
    const open = () => openPglite({ dataDir: join(dataDir, "pglite") });
    const settings = { FLINT_STORE: "pglite", FLINT_DATA_DIR: dataDir };
    let client: SqlClient = await open();
    try {
      const repository = await createPostgresRepository({ client });
      await repository.create(PATIENT);
      await client.close();

      const clean = await check(settings);
      expect(clean.code, clean.stderr).toBe(0);

      client = await open();
      await client.query(`DELETE FROM "flint"."search_string" WHERE id = 'checked'`);
      await client.close();
      const broken = await check(settings);
      expect(broken.code, broken.stderr).toBe(1);
      expect(broken.findings.map((finding) => finding.problem)).toContain("string index row missing");
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
