import type { CapacityMeter } from "./capacity.ts";
import type { RequestMetrics, RequestSummary } from "./request.ts";

/** A CloudWatch metric unit that Flint uses. */
type MetricUnit = "Count" | "Milliseconds";

/** One line of the CloudWatch embedded metric format: `_aws` metadata, then the values it names. */
export interface EmfRecord {
  _aws: {
    /** Milliseconds since the Unix epoch. */
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: MetricUnit }>;
    }>;
  };
  [member: string]: unknown;
}

/** Destination and names of the request metrics. */
export interface EmfOptions {
  /** CloudWatch namespace of the metrics, for example `Flint`. */
  namespace: string;
  /** Value of the `Service` dimension, which separates deployments, for example `flint-production`. */
  service: string;
  /** Writes one complete JSON line, without its line break, where CloudWatch Logs collects it. */
  write(line: string): void;
  /** Counts DynamoDB capacity per request; without it the capacity metrics are left out. */
  meter?: CapacityMeter;
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
}

/**
 * Dimension sets of every request metric: one series for the whole service and one per FHIR
 * interaction. The resource type is a property, not a dimension, because each dimension value
 * makes a separate billed metric, and R4 defines more than 140 resource types.
 */
export const REQUEST_DIMENSIONS = [["Service"], ["Service", "Interaction"]];

/** Value of the `Interaction` dimension for requests that matched no route (404 and 405). */
export const NO_INTERACTION = "none";

/**
 * Formats the metrics of one request as an EMF record: `Requests` (always 1), `ServerErrors`
 * and `ClientErrors` (1 or 0, so their average is the error rate), `Latency` in milliseconds
 * and, when DynamoDB calls reported capacity, `DynamoDbCalls`, `ConsumedReadCapacity` and
 * `ConsumedWriteCapacity`. The ids, status and resource type ride along as properties that
 * CloudWatch Logs Insights can query.
 */
export function formatRequestEmf(summary: RequestSummary, options: { namespace: string; service: string; timestamp: number }): EmfRecord {
  const values: Record<string, number> = {
    Requests: 1,
    ServerErrors: summary.status >= 500 ? 1 : 0,
    ClientErrors: summary.status >= 400 && summary.status < 500 ? 1 : 0,
    Latency: summary.durationMs,
  };
  if (summary.dynamoDbCalls !== undefined && summary.dynamoDbCalls > 0) {
    values.DynamoDbCalls = summary.dynamoDbCalls;
    values.ConsumedReadCapacity = summary.readCapacityUnits ?? 0;
    values.ConsumedWriteCapacity = summary.writeCapacityUnits ?? 0;
  }

  const metrics = Object.keys(values).map((name) => ({ Name: name, Unit: name === "Latency" ? ("Milliseconds" as const) : ("Count" as const) }));
  return {
    _aws: {
      Timestamp: options.timestamp,
      CloudWatchMetrics: [{ Namespace: options.namespace, Dimensions: REQUEST_DIMENSIONS, Metrics: metrics }],
    },
    Service: options.service,
    Interaction: summary.interaction ?? NO_INTERACTION,
    ...values,
    requestId: summary.requestId,
    lambdaRequestId: summary.lambdaRequestId,
    method: summary.method,
    resourceType: summary.resourceType,
    status: summary.status,
  };
}

/** Creates request metrics that write one EMF line per finished request. */
export function createEmfMetrics(options: EmfOptions): RequestMetrics {
  const now = options.now ?? Date.now;
  const meter = options.meter;
  return {
    measure: async (handle) => {
      if (meter === undefined) {
        await handle();
        return undefined;
      }
      return meter.measure(handle);
    },
    record: (summary) => {
      const record = formatRequestEmf(summary, { namespace: options.namespace, service: options.service, timestamp: now() });
      options.write(JSON.stringify(record));
    },
  };
}
