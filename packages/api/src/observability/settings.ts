/** Observability switches of one process, read from its environment. */
export interface ObservabilitySettings {
  /** The process is a Lambda function: `AWS_LAMBDA_FUNCTION_NAME` and `LAMBDA_TASK_ROOT` are both set. */
  lambda: boolean;
  /** Write one EMF line per request (`FLINT_METRICS`; on Lambda unless `off`). */
  metrics: boolean;
  /** Record X-Ray subsegments for DynamoDB calls (`FLINT_TRACING`; on Lambda unless `off`). */
  tracing: boolean;
  /** CloudWatch namespace of the metrics (`FLINT_METRICS_NAMESPACE`, default `Flint`). */
  namespace: string;
  /** `Service` dimension of the metrics (`FLINT_METRICS_SERVICE`, default the function name). */
  service: string;
}

const DEFAULT_NAMESPACE = "Flint";

/**
 * Reads the observability settings. Both switches default to on inside Lambda and off
 * elsewhere. Lambda is recognized by two variables that the Lambda runtime sets, because a
 * local runner that copies a function's environment may set `AWS_LAMBDA_FUNCTION_NAME`
 * alone. Raises an error that names the variable when a value is invalid.
 */
export function readObservabilitySettings(environment: Record<string, string | undefined>): ObservabilitySettings {
  const lambda = Boolean(environment.AWS_LAMBDA_FUNCTION_NAME) && Boolean(environment.LAMBDA_TASK_ROOT);
  const metrics = readSwitch(environment, "FLINT_METRICS", ["emf"], lambda);
  const tracing = readSwitch(environment, "FLINT_TRACING", [], lambda);

  const namespace = environment.FLINT_METRICS_NAMESPACE || DEFAULT_NAMESPACE;
  if (namespace.length > 255 || namespace.startsWith("AWS/")) {
    throw new Error(`FLINT_METRICS_NAMESPACE must be at most 255 characters and must not start with "AWS/" (got "${namespace.slice(0, 64)}").`);
  }
  const service = environment.FLINT_METRICS_SERVICE || environment.AWS_LAMBDA_FUNCTION_NAME || "flint";
  return { lambda, metrics, tracing, namespace, service };
}

/** Reads a switch that accepts `auto` (or unset), `off`, and the given words that turn it on. */
function readSwitch(environment: Record<string, string | undefined>, name: string, on: string[], auto: boolean): boolean {
  const value = environment[name];
  if (value === undefined || value === "" || value === "auto") return auto;
  if (value === "off") return false;
  if (on.includes(value)) return true;
  const allowed = ["auto", "off", ...on].map((word) => `"${word}"`).join(", ");
  throw new Error(`${name} must be one of ${allowed} (got "${value.slice(0, 64)}").`);
}
