import { AsyncLocalStorage } from "node:async_hooks";
import type { DynamoDbUsage } from "./request.ts";

/** Consumed capacity of one DynamoDB call, as `observeDynamoDbClient` in `@flint/dynamodb` reports it. */
export interface CapacityEvent {
  readCapacityUnits: number;
  writeCapacityUnits: number;
}

/** Per-request totals of DynamoDB capacity, each call attributed to the request whose handlers made it. */
export interface CapacityMeter {
  /** Runs `handle` and returns the capacity its calls reported, including calls in concurrent promises it started. */
  measure(handle: () => Promise<void>): Promise<DynamoDbUsage>;
  /** Adds one call to the request that made it. A call outside any `measure` is not counted. */
  add(event: CapacityEvent): void;
}

/**
 * Creates a meter that finds the current request through `AsyncLocalStorage`, so requests
 * that one process serves at the same time keep separate totals.
 */
export function createCapacityMeter(): CapacityMeter {
  const current = new AsyncLocalStorage<DynamoDbUsage>();
  return {
    async measure(handle) {
      const usage: DynamoDbUsage = { dynamoDbCalls: 0, readCapacityUnits: 0, writeCapacityUnits: 0 };
      await current.run(usage, handle);
      return usage;
    },
    add(event) {
      const usage = current.getStore();
      if (usage === undefined) return;
      usage.dynamoDbCalls += 1;
      usage.readCapacityUnits += event.readCapacityUnits;
      usage.writeCapacityUnits += event.writeCapacityUnits;
    },
  };
}
