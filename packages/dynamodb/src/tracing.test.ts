import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import AWSXRay from "aws-xray-sdk-core";
import { describe, expect, it } from "vitest";
import { observeDynamoDbClient, sumCapacity, type ConsumedCapacityEvent } from "./tracing.ts";

/** A request the fake HTTP handler received: the `X-Amz-Target` operation, lower-cased headers and JSON body. */
interface SentRequest {
  target: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/**
 * Builds a document client whose HTTP handler responds to every call with `reply` and records
 * what was sent, so the whole SDK middleware stack runs without any network.
 */
function fakeClient(reply: (target: string) => Record<string, unknown>) {
  const sent: SentRequest[] = [];
  const requestHandler = {
    async handle(request: { headers: Record<string, string>; body?: string | Uint8Array }) {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
      const target = (headers["x-amz-target"] ?? "").replace("DynamoDB_20120810.", "");
      const text = typeof request.body === "string" ? request.body : new TextDecoder().decode(request.body);
      sent.push({ target, headers, body: JSON.parse(text || "{}") });
      const body = new TextEncoder().encode(JSON.stringify(reply(target)));
      return { response: { statusCode: 200, headers: { "content-type": "application/x-amz-json-1.0" }, body } };
    },
  };
  const base = new DynamoDBClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:9",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    requestHandler,
  });
  return { client: DynamoDBDocumentClient.from(base), sent };
}

describe("sumCapacity", () => {
  it("prefers the read and write split", () => {
    const event = sumCapacity("TransactWriteItems", { TableName: "t", CapacityUnits: 6, ReadCapacityUnits: 2, WriteCapacityUnits: 4 });
    expect(event).toEqual({ operation: "TransactWriteItems", readCapacityUnits: 2, writeCapacityUnits: 4 });
  });

  it("counts a read operation's total as read units", () => {
    expect(sumCapacity("Query", { TableName: "t", CapacityUnits: 1.5 })).toEqual({ operation: "Query", readCapacityUnits: 1.5, writeCapacityUnits: 0 });
  });

  it("counts a write operation's total as write units", () => {
    expect(sumCapacity("PutItem", { TableName: "t", CapacityUnits: 3 })).toEqual({ operation: "PutItem", readCapacityUnits: 0, writeCapacityUnits: 3 });
  });

  it("adds up the tables of a batch", () => {
    const event = sumCapacity("BatchGetItem", [
      { TableName: "a", CapacityUnits: 1 },
      { TableName: "b", CapacityUnits: 0.5 },
    ]);
    expect(event.readCapacityUnits).toBe(1.5);
    expect(event.writeCapacityUnits).toBe(0);
  });
});

describe("observeDynamoDbClient consumed capacity", () => {
  it("asks for TOTAL and reports the units", async () => {
    const { client, sent } = fakeClient(() => ({ Item: { pk: { S: "a" } }, ConsumedCapacity: { TableName: "t", CapacityUnits: 0.5 } }));
    const events: ConsumedCapacityEvent[] = [];
    await observeDynamoDbClient(client, { tracing: false, onConsumedCapacity: (event) => events.push(event) });

    const output = await client.send(new GetCommand({ TableName: "t", Key: { pk: "a" } }));

    expect(sent[0]?.body.ReturnConsumedCapacity).toBe("TOTAL");
    expect(output.Item).toEqual({ pk: "a" });
    expect(events).toEqual([{ operation: "GetItem", readCapacityUnits: 0.5, writeCapacityUnits: 0 }]);
  });

  it("keeps a value the caller set", async () => {
    const { client, sent } = fakeClient(() => ({}));
    const events: ConsumedCapacityEvent[] = [];
    await observeDynamoDbClient(client, { tracing: false, onConsumedCapacity: (event) => events.push(event) });

    await client.send(new PutCommand({ TableName: "t", Item: { pk: "a" }, ReturnConsumedCapacity: "NONE" }));

    expect(sent[0]?.body.ReturnConsumedCapacity).toBe("NONE");
    expect(events).toEqual([]);
  });

  it("reports a transaction's units across tables", async () => {
    const { client } = fakeClient(() => ({ ConsumedCapacity: [{ TableName: "t", CapacityUnits: 4, ReadCapacityUnits: 1, WriteCapacityUnits: 3 }] }));
    const events: ConsumedCapacityEvent[] = [];
    await observeDynamoDbClient(client, { tracing: false, onConsumedCapacity: (event) => events.push(event) });

    await client.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: "t", Item: { pk: "a" } } }] }));

    expect(events).toEqual([{ operation: "TransactWriteItems", readCapacityUnits: 1, writeCapacityUnits: 3 }]);
  });

  it("leaves operations without capacity untouched", async () => {
    const { client, sent } = fakeClient(() => ({ Table: { TableName: "t" } }));
    await observeDynamoDbClient(client, { tracing: false, onConsumedCapacity: () => {} });

    await client.send(new DescribeTableCommand({ TableName: "t" }));

    expect(sent[0]?.target).toBe("DescribeTable");
    expect(sent[0]?.body).not.toHaveProperty("ReturnConsumedCapacity");
  });

  it("adds the middleware once when called twice", async () => {
    const { client, sent } = fakeClient(() => ({ ConsumedCapacity: { TableName: "t", CapacityUnits: 1 } }));
    const events: ConsumedCapacityEvent[] = [];
    await observeDynamoDbClient(client, { tracing: false, onConsumedCapacity: (event) => events.push(event) });
    await observeDynamoDbClient(client, { tracing: false, onConsumedCapacity: (event) => events.push(event) });

    await client.send(new GetCommand({ TableName: "t", Key: { pk: "a" } }));

    expect(sent).toHaveLength(1);
    expect(events).toHaveLength(1);
  });
});

describe("observeDynamoDbClient X-Ray", () => {
  it("adds nothing when tracing is off", async () => {
    const { client, sent } = fakeClient(() => ({}));
    const before = client.middlewareStack.identify();

    await observeDynamoDbClient(client, { tracing: false });
    await client.send(new GetCommand({ TableName: "t", Key: { pk: "a" } }));

    expect(client.middlewareStack.identify()).toEqual(before);
    expect(sent[0]?.headers).not.toHaveProperty("x-amzn-trace-id");
  });

  it("records a DynamoDB subsegment inside a segment", async () => {
    const { client, sent } = fakeClient(() => ({ Item: { pk: { S: "a" } } }));
    await observeDynamoDbClient(client, { tracing: true });
    // The segment is never closed, so the SDK never sends it to a daemon.
    const segment = new AWSXRay.Segment("flint-test");

    await AWSXRay.getNamespace().runPromise(async () => {
      AWSXRay.setSegment(segment);
      await client.send(new GetCommand({ TableName: "patients", Key: { pk: "a" } }));
    });

    const subsegment = segment.subsegments?.[0] as unknown as { name: string; namespace: string; aws: Record<string, unknown>; in_progress?: boolean };
    expect(segment.subsegments).toHaveLength(1);
    expect(subsegment.name).toBe("DynamoDB");
    expect(subsegment.namespace).toBe("aws");
    expect(subsegment.aws.operation).toBe("GetItem");
    expect(subsegment.aws.table_name).toBe("patients");
    expect(subsegment.in_progress).toBeFalsy();
    expect(sent[0]?.headers["x-amzn-trace-id"]).toContain(`Root=${segment.trace_id}`);
  });

  it("runs untraced without a segment", async () => {
    const { client, sent } = fakeClient(() => ({ Item: { pk: { S: "a" } } }));
    await observeDynamoDbClient(client, { tracing: true });

    const output = await client.send(new GetCommand({ TableName: "t", Key: { pk: "a" } }));

    expect(output.Item).toEqual({ pk: "a" });
    expect(sent[0]?.headers).not.toHaveProperty("x-amzn-trace-id");
  });
});
