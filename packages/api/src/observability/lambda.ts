import { createJsonLogger, type Logger } from "../logging.ts";
import { createCapacityMeter, type CapacityEvent } from "./capacity.ts";
import { createEmfMetrics } from "./emf.ts";
import { noRequestMetrics, type RequestMetrics } from "./request.ts";
import { readObservabilitySettings, type ObservabilitySettings } from "./settings.ts";

/** Logger, metrics and DynamoDB client settings for the Lambda entry. */
export interface LambdaObservability {
  settings: ObservabilitySettings;
  /** JSON lines to standard output (errors to standard error), with the X-Ray trace id on Lambda. */
  logger: Logger;
  /** EMF metrics per request on Lambda, nothing elsewhere. Pass it to `createApp`. */
  metrics: RequestMetrics;
  /** Settings to pass to `observeDynamoDbClient` from `@flint/dynamodb`. */
  dynamoDb: {
    tracing: boolean;
    /** Present when metrics are on, so that DynamoDB calls report their capacity. */
    onConsumedCapacity?: (event: CapacityEvent) => void;
  };
}

/** Destinations of the lines; each function writes one line without its line break. */
export interface ObservabilityOutput {
  stdout(line: string): void;
  stderr(line: string): void;
}

/**
 * Writes straight to the process streams. On Lambda this bypasses the runtime's wrapper of
 * `console`, which prefixes each line (or nests it in its own JSON when the log format is
 * JSON), so each line reaches CloudWatch Logs as the bare JSON object that EMF needs.
 */
const PROCESS_OUTPUT: ObservabilityOutput = {
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
};

/**
 * Builds the observability of the Lambda entry from its environment (see
 * `readObservabilitySettings`). Outside Lambda, metrics and tracing are off unless switched
 * on, and the logger writes plain JSON lines. Pass `process.env` itself: the logger reads
 * `_X_AMZN_TRACE_ID` from it at each record, because Lambda sets it per invocation.
 */
export function createLambdaObservability(
  environment: Record<string, string | undefined> = process.env,
  output: ObservabilityOutput = PROCESS_OUTPUT,
): LambdaObservability {
  const settings = readObservabilitySettings(environment);
  const logger = createJsonLogger({
    writeInfo: output.stdout,
    writeError: output.stderr,
    fields: () => ({ traceId: settings.lambda ? readTraceRoot(environment._X_AMZN_TRACE_ID) : undefined }),
  });
  if (!settings.metrics) return { settings, logger, metrics: noRequestMetrics, dynamoDb: { tracing: settings.tracing } };

  const meter = createCapacityMeter();
  const metrics = createEmfMetrics({ namespace: settings.namespace, service: settings.service, write: output.stdout, meter });
  return { settings, logger, metrics, dynamoDb: { tracing: settings.tracing, onConsumedCapacity: meter.add } };
}

/** Returns the `Root` trace id from an X-Ray trace header such as `Root=1-…;Parent=…;Sampled=1`. */
export function readTraceRoot(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const root = header.split(";").find((part) => part.startsWith("Root="));
  return root?.slice("Root=".length);
}
