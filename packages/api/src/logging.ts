/** A structured log record: one JSON object per line. */
export type LogRecord = Record<string, string | number | boolean | undefined>;

/**
 * Destination of the API's logs. The default writes JSON lines to standard output; callers
 * pass their own to route records elsewhere or to silence them in tests.
 */
export interface Logger {
  info(record: LogRecord): void;
  error(record: LogRecord): void;
}

export const jsonLogger: Logger = {
  info: (record) => console.log(JSON.stringify({ level: "info", time: new Date().toISOString(), ...record })),
  error: (record) => console.error(JSON.stringify({ level: "error", time: new Date().toISOString(), ...record })),
};

export const silentLogger: Logger = { info: () => {}, error: () => {} };
