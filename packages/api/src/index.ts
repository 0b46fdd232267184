export { createApp, DEFAULT_MAX_BODY_BYTES, type AppOptions } from "./app.ts";
export { jsonLogger, silentLogger, type Logger, type LogRecord } from "./logging.ts";
export type { Interaction, Route } from "./context.ts";
