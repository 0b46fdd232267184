import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * Socket timeouts used unless the configuration sets its own `requestHandler`. Without them the
 * SDK waits for a response forever, so a call to a store that never responds would hold the
 * request until the Lambda timeout. Recent SDK releases only log a warning when
 * `requestTimeout` passes unless `throwOnRequestTimeout` is set. With it, the call fails with
 * `TimeoutError`, which the SDK retries and Flint then reports as 503. The values are estimates
 * with ample room: a 100-action `TransactWriteItems` on DynamoDB usually answers within a second.
 */
const DEFAULT_TIMEOUTS = { connectionTimeout: 3_000, requestTimeout: 15_000, throwOnRequestTimeout: true };

/**
 * Creates the document client Flint uses: `undefined` attributes are dropped and binary values
 * come back as `Uint8Array`.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ requestHandler: DEFAULT_TIMEOUTS, ...config });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
