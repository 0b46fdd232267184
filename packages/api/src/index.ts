export { createApp, DEFAULT_MAX_BODY_BYTES, type AppOptions } from "./app.ts";
export { jsonLogger, silentLogger, type Logger, type LogRecord } from "./logging.ts";
export type { Interaction, Route } from "./context.ts";
export { createBufferedJsonLogger, createJsonLogger, type BufferedLogger, type JsonLoggerOptions } from "./logging.ts";
export { createLambdaObservability, type LambdaObservability, type ObservabilityOutput } from "./observability/lambda.ts";
export { createEmfMetrics, formatRequestEmf, type EmfOptions, type EmfRecord } from "./observability/emf.ts";
export { createCapacityMeter, type CapacityEvent, type CapacityMeter } from "./observability/capacity.ts";
export { readObservabilitySettings, type ObservabilitySettings } from "./observability/settings.ts";
export { noRequestMetrics, type DynamoDbUsage, type RequestMetrics, type RequestSummary } from "./observability/request.ts";
