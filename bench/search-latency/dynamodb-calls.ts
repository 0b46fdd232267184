import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** Running totals of the DynamoDB requests that Flint sent and the items they returned. */
export interface CallCounter {
  calls: number;
  items: number;
}

/**
 * Counts every command the client sends, after the SDK's retries, so a retried command counts
 * once. Items are those in `Items`, `Item` and the `Responses` of a batch read, so for index
 * queries they are the index items read.
 */
export function countDynamoDbCalls(client: DynamoDBDocumentClient): CallCounter {
  const counter: CallCounter = { calls: 0, items: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      counter.calls++;
      counter.items += itemsIn(result.output);
      return result;
    },
    { step: "initialize", name: "benchCountDynamoDbCalls" },
  );
  return counter;
}

function itemsIn(output: unknown): number {
  const { Items, Item, Responses } = output as { Items?: unknown[]; Item?: unknown; Responses?: Record<string, unknown[]> | unknown[] };
  if (Items !== undefined) return Items.length;
  if (Item !== undefined) return 1;
  if (Array.isArray(Responses)) return Responses.length;
  if (Responses !== undefined) return Object.values(Responses).reduce((sum, items) => sum + items.length, 0);
  return 0;
}
