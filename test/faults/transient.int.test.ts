import { describe, expect, it } from "vitest";
import { createApp, silentLogger } from "@flint/api";
import { DynamoDbRepository } from "@flint/dynamodb";
import { createTestRepository } from "../setup/dynamodb.ts";
import { failingClient } from "../support/faults.ts";

describe("transient store faults", () => {
  it("throttling gives 503 with Retry-After", async () => {
    const { client, tableName } = await createTestRepository();
    const throttled = failingClient(client, () => "ThrottlingException");
    const app = createApp({ repository: new DynamoDbRepository({ client: throttled, tableName }), logger: silentLogger });

    const response = await app.fetch(new Request("http://flint.test/fhir/Patient/p1"));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    const outcome = (await response.json()) as { issue: Array<{ code: string }> };
    expect(outcome.issue[0]!.code).toBe("transient");
  });

  it("a transaction conflict is retried", async () => {
    const { repository, client, tableName } = await createTestRepository();
    await repository.create({ resourceType: "Patient", id: "conflicted", active: true } as never);
    let conflicts = 0;
    const flaky = failingClient(client, (command) => {
      if (command !== "TransactWriteCommand" || conflicts >= 2) return undefined;
      conflicts++;
      const error = Object.assign(new Error("injected transaction conflict"), {
        name: "TransactionCanceledException",
        CancellationReasons: [{ Code: "TransactionConflict" }, { Code: "None" }, { Code: "None" }],
      });
      return error;
    });
    const retrying = new DynamoDbRepository({ client: flaky, tableName });

    const result = await retrying.update({ resourceType: "Patient", id: "conflicted", active: false } as never);
    expect(result.version.versionId).toBe(2);
    expect(conflicts).toBe(2);
  });

  it("the server keeps serving after faults end", async () => {
    const { client, tableName } = await createTestRepository();
    let failing = true;
    const flaky = failingClient(client, () => (failing ? "ServiceUnavailable" : undefined));
    const app = createApp({ repository: new DynamoDbRepository({ client: flaky, tableName }), logger: silentLogger });

    expect((await app.fetch(new Request("http://flint.test/fhir/Patient/x"))).status).toBe(503);
    failing = false;
    expect((await app.fetch(new Request("http://flint.test/fhir/Patient/x"))).status).toBe(404);
  });
});
