import type { Resource } from "fhir/r4";
import { DeleteCommand, GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import { checkTable } from "./check.ts";
import { createTestRepository } from "../../../test/setup/dynamodb.ts";

describe("reindex", () => {
  it("rebuilds index items that drifted from the bodies", async () => {
    const { repository, client, tableName } = await createTestRepository();
    await repository.create({ resourceType: "Patient", id: "drift-1", gender: "female", name: [{ family: "Driftprobe" }] } as Resource & { id: string });
    await repository.create({ resourceType: "Patient", id: "drift-2", identifier: [{ system: "urn:example:mrn", value: "D2" }] } as Resource & { id: string });
    await repository.create({ resourceType: "Patient", id: "drift-3" } as Resource & { id: string });
    await repository.delete("Patient", "drift-3");

    // As after a change of definitions: a key the body now produces was never written, and the
    // manifest lists a key the body no longer produces.
    const added = "T#Patient#identifier#S#urn:example:mrn|D2";
    await client.send(new DeleteCommand({ TableName: tableName, Key: { pk: `I#${added}`, sk: "drift-2" } }));
    const head = await client.send(new GetCommand({ TableName: tableName, Key: { pk: "R#Patient#drift-2", sk: "CUR" } }));
    const manifest = (head.Item!.ix as string[]).filter((entry) => entry !== added);
    await client.send(new UpdateCommand({ TableName: tableName, Key: { pk: "R#Patient#drift-2", sk: "CUR" }, UpdateExpression: "SET ix = :ix", ExpressionAttributeValues: { ":ix": manifest } }));
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: "R#Patient#drift-1", sk: "CUR" },
        UpdateExpression: "SET ix = list_append(ix, :stale)",
        ExpressionAttributeValues: { ":stale": ["T#Patient#stale#C#x"] },
      }),
    );
    expect((await checkTable(client, tableName)).length).toBeGreaterThan(0);

    const report = await repository.reindex();
    expect(report).toEqual({ scanned: 3, updated: 2, skipped: 0 });
    expect(await checkTable(client, tableName)).toEqual([]);
    expect(await repository.reindex()).toEqual({ scanned: 3, updated: 0, skipped: 0 });
  });
});
