import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import type { HandlerExecutionContext, InitializeHandler, InitializeHandlerArguments, MiddlewareStack } from "@smithy/types";

/** Capacity units that one DynamoDB call consumed, as the response reported them. */
export interface ConsumedCapacityEvent {
  /** DynamoDB operation name, such as `GetItem` or `TransactWriteItems`. */
  operation: string;
  readCapacityUnits: number;
  writeCapacityUnits: number;
}

/** How to observe the DynamoDB calls of one client. */
export interface DynamoDbObservation {
  /** Whether to record an X-Ray subsegment for every call. The X-Ray SDK is loaded only when this is true. */
  tracing: boolean;
  /**
   * Listener for the capacity consumed by each successful call. When it is set, every call
   * that accepts `ReturnConsumedCapacity` sends `TOTAL`, unless the caller set a value.
   */
  onConsumedCapacity?: (event: ConsumedCapacityEvent) => void;
}

/** The part of the X-Ray SDK this module calls. */
export interface XRayCapture {
  captureAWSv3Client<T extends { middlewareStack: { remove: any; use: any }; config: any }>(client: T): T;
}

/** A DynamoDB client or document client. A document client shares the middleware stack of the client it wraps. */
export interface ObservableClient {
  middlewareStack: MiddlewareStack<any, any>;
  config: object;
}

/** Operations that accept `ReturnConsumedCapacity`, by SDK command name. PartiQL is left out because Flint does not use it. */
const CAPACITY_COMMANDS = new Set(
  [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
  ].map((operation) => `${operation}Command`),
);

/** Operations whose `CapacityUnits` are read units when the response does not split them. */
const READ_OPERATIONS = new Set(["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"]);

const CAPACITY_MIDDLEWARE = "FlintConsumedCapacity";

/**
 * Adds X-Ray subsegments and consumed-capacity reporting to a DynamoDB client, as set in
 * `observation`, and returns the same client. A second call replaces the middleware of the
 * first. With `tracing: false` and no listener it changes nothing.
 */
export async function observeDynamoDbClient<T extends ObservableClient>(client: T, observation: DynamoDbObservation): Promise<T> {
  if (observation.onConsumedCapacity !== undefined) reportConsumedCapacity(client, observation.onConsumedCapacity);
  if (observation.tracing) captureXRay(client, await loadXRay());
  return client;
}

/**
 * Loads `aws-xray-sdk-core`. Importing it on Lambda (where `LAMBDA_TASK_ROOT` is set) makes the
 * SDK attach subsegments to the invocation's segment, which Lambda creates when active
 * tracing is on.
 */
export async function loadXRay(): Promise<XRayCapture> {
  const module = (await import("aws-xray-sdk-core")) as XRayCapture & { default?: XRayCapture };
  return module.default ?? module;
}

/**
 * Records an X-Ray subsegment named `DynamoDB` around every call of the client. Without a
 * segment in the current context the call runs untraced, and the SDK handles the missing
 * context by its `AWS_XRAY_CONTEXT_MISSING` strategy (`IGNORE_ERROR` in the tests).
 */
export function captureXRay<T extends ObservableClient>(client: T, xray: XRayCapture): T {
  return xray.captureAWSv3Client(client);
}

/**
 * Sets `ReturnConsumedCapacity: TOTAL` on every call that accepts it and passes the units in
 * each successful response to `listener`. A call that fails reports nothing, though DynamoDB
 * may have charged capacity for it. Every attempt carries the same setting, so a retried
 * `TransactWriteItems` with a client request token still matches its first attempt.
 */
export function reportConsumedCapacity(client: ObservableClient, listener: (event: ConsumedCapacityEvent) => void): void {
  client.middlewareStack.remove(CAPACITY_MIDDLEWARE);
  client.middlewareStack.add(
    (next: InitializeHandler<any, any>, context: HandlerExecutionContext) => async (args: InitializeHandlerArguments<any>) => {
      const commandName = context.commandName ?? "";
      if (!CAPACITY_COMMANDS.has(commandName)) return next(args);

      const input = args.input as { ReturnConsumedCapacity?: string };
      const request = input.ReturnConsumedCapacity === undefined ? { ...args, input: { ...input, ReturnConsumedCapacity: "TOTAL" } } : args;
      const result = await next(request);

      const operation = commandName.slice(0, -"Command".length);
      const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] } | undefined)?.ConsumedCapacity;
      if (consumed !== undefined) listener(sumCapacity(operation, consumed));
      return result;
    },
    { step: "initialize", name: CAPACITY_MIDDLEWARE, tags: ["FLINT"] },
  );
}

/**
 * Adds up the read and write units of a response, across tables for batch and transaction
 * calls. An entry without the split counts its `CapacityUnits` as read or write by the
 * operation.
 */
export function sumCapacity(operation: string, consumed: ConsumedCapacity | ConsumedCapacity[]): ConsumedCapacityEvent {
  const event: ConsumedCapacityEvent = { operation, readCapacityUnits: 0, writeCapacityUnits: 0 };
  for (const entry of Array.isArray(consumed) ? consumed : [consumed]) {
    if (entry.ReadCapacityUnits !== undefined || entry.WriteCapacityUnits !== undefined) {
      event.readCapacityUnits += entry.ReadCapacityUnits ?? 0;
      event.writeCapacityUnits += entry.WriteCapacityUnits ?? 0;
    } else if (READ_OPERATIONS.has(operation)) {
      event.readCapacityUnits += entry.CapacityUnits ?? 0;
    } else {
      event.writeCapacityUnits += entry.CapacityUnits ?? 0;
    }
  }
  return event;
}
