import type { Interaction } from "../context.ts";

/** DynamoDB use of one request, added up from the calls that reported consumed capacity. */
export type DynamoDbUsage = {
  /** Successful DynamoDB calls that returned their consumed capacity. */
  dynamoDbCalls: number;
  readCapacityUnits: number;
  writeCapacityUnits: number;
};

/**
 * Fields of one finished request, which the request log line and the metrics share. It contains
 * no body, header, query string or token, because those can carry patient data and secrets.
 */
export type RequestSummary = {
  requestId: string;
  /** `awsRequestId` of the Lambda invocation, when the request came through the Lambda adapter. */
  lambdaRequestId?: string;
  method: string;
  interaction?: Interaction;
  resourceType?: string;
  status: number;
  durationMs: number;
} & Partial<DynamoDbUsage>;

/** Per-request metrics: how a request is measured while it runs, and where its summary goes. */
export interface RequestMetrics {
  /** Runs the request's handlers and returns the DynamoDB use attributed to them, if counted. */
  measure(handle: () => Promise<void>): Promise<DynamoDbUsage | undefined>;
  /** Records the metrics of one finished request. */
  record(summary: RequestSummary): void;
}

/** Metrics that count nothing and record nothing: the default of `createApp`. */
export const noRequestMetrics: RequestMetrics = {
  measure: async (handle) => {
    await handle();
    return undefined;
  },
  record: () => {},
};

/**
 * Returns the Lambda request id from the bindings that `hono/aws-lambda` passes to the app
 * (`lambdaContext.awsRequestId`), or undefined for requests from any other adapter.
 */
export function readLambdaRequestId(bindings: unknown): string | undefined {
  if (typeof bindings !== "object" || bindings === null) return undefined;
  const context = (bindings as { lambdaContext?: { awsRequestId?: unknown } }).lambdaContext;
  return typeof context?.awsRequestId === "string" ? context.awsRequestId : undefined;
}
