import type { StageSettings } from "./stage";
import { METRICS_NAMESPACE, REQUEST_METRICS, TABLE_INDEXES, TABLE_OPERATIONS } from "./schema";

type Output<T> = $util.Output<T>;

/** Resources that the alarms and the dashboard watch. */
export interface MonitoredResources {
  functionName: Output<string>;
  /** The DynamoDB table; unset for the PostgreSQL stores. */
  tableName?: Output<string>;
}

/** Length of one alarm evaluation period, in seconds. */
const PERIOD = 300;

/**
 * Alarm thresholds. They are starting points to tune against real traffic.
 * - `serverErrorPercent`: share of requests that got a 5xx response, checked only in periods
 *   with at least `minimumRequests`, so one failure at night does not page anyone.
 * - `p99LatencyMs`: half the 10 s search budget. Large transaction Bundles are slower, but they
 *   are rare enough to stay above the 99th percentile on most traffic.
 * - `dynamoDbThrottles`: throttle events of the table and its indexes. CloudWatch counts every
 *   throttled attempt, and the SDK retries them, so a few go unnoticed by clients.
 * - `dynamoDbSystemErrors`: DynamoDB 500 responses. The SDK retries them too, and Flint returns
 *   503 when the retries run out.
 */
export const ALARM_THRESHOLDS = {
  serverErrorPercent: 5,
  minimumRequests: 20,
  p99LatencyMs: 5_000,
  dynamoDbThrottles: 10,
  dynamoDbSystemErrors: 5,
};

/**
 * Creates the alarms of one stage and an SNS topic for their notifications. Alarms:
 * 5xx rate and p99 latency from Flint's EMF metrics, function errors (crashes and timeouts,
 * which write no EMF line) and throttles from AWS/Lambda, and, for the DynamoDB store,
 * throttles and system errors from AWS/DynamoDB.
 */
export function createAlarms(settings: StageSettings, resources: MonitoredResources) {
  const topic = new aws.sns.Topic("Alarms");
  if (settings.alarmEmail !== undefined) {
    new aws.sns.TopicSubscription("AlarmEmail", { topic: topic.arn, protocol: "email", endpoint: settings.alarmEmail });
  }
  const actions = { alarmActions: [topic.arn], okActions: [topic.arn], treatMissingData: "notBreaching" };
  const service = { Service: settings.metricsService };
  const lambda = { FunctionName: resources.functionName };

  const alarms = [
    new aws.cloudwatch.MetricAlarm("ServerErrorRate", {
      ...actions,
      name: `${settings.metricsService}-server-error-rate`,
      alarmDescription: `More than ${ALARM_THRESHOLDS.serverErrorPercent}% of requests got a 5xx response for 10 of the last 15 minutes.`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: ALARM_THRESHOLDS.serverErrorPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      metricQueries: [
        { id: "requests", metric: { namespace: METRICS_NAMESPACE, metricName: REQUEST_METRICS.requests, dimensions: service, period: PERIOD, stat: "Sum" } },
        { id: "errors", metric: { namespace: METRICS_NAMESPACE, metricName: REQUEST_METRICS.serverErrors, dimensions: service, period: PERIOD, stat: "Sum" } },
        {
          id: "rate",
          expression: `IF(requests >= ${ALARM_THRESHOLDS.minimumRequests}, 100 * errors / requests, 0)`,
          label: "5xx responses (%)",
          returnData: true,
        },
      ],
    }),
    new aws.cloudwatch.MetricAlarm("LatencyP99", {
      ...actions,
      name: `${settings.metricsService}-latency-p99`,
      alarmDescription: `The 99th percentile of request latency was above ${ALARM_THRESHOLDS.p99LatencyMs} ms for 15 minutes.`,
      namespace: METRICS_NAMESPACE,
      metricName: REQUEST_METRICS.latency,
      dimensions: service,
      extendedStatistic: "p99",
      evaluateLowSampleCountPercentiles: "ignore",
      period: PERIOD,
      evaluationPeriods: 3,
      comparisonOperator: "GreaterThanThreshold",
      threshold: ALARM_THRESHOLDS.p99LatencyMs,
    }),
    new aws.cloudwatch.MetricAlarm("FunctionErrors", {
      ...actions,
      name: `${settings.metricsService}-function-errors`,
      alarmDescription: "The function crashed or timed out; such invocations write no request log line.",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: lambda,
      statistic: "Sum",
      period: PERIOD,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
    }),
    new aws.cloudwatch.MetricAlarm("FunctionThrottles", {
      ...actions,
      name: `${settings.metricsService}-function-throttles`,
      alarmDescription: "Lambda rejected invocations because the account or function concurrency limit was reached.",
      namespace: "AWS/Lambda",
      metricName: "Throttles",
      dimensions: lambda,
      statistic: "Sum",
      period: PERIOD,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
    }),
  ];

  if (resources.tableName !== undefined) alarms.push(...createTableAlarms(settings.metricsService, resources.tableName, actions));
  return { topic, alarms };
}

/** Alarms on the table: throttles on the table and its indexes, and DynamoDB system errors. */
function createTableAlarms(service: string, tableName: Output<string>, actions: { alarmActions: Output<string>[]; okActions: Output<string>[]; treatMissingData: string }) {
  const sum = (id: string, metricName: string, dimensions: Record<string, Output<string> | string>) => ({
    id,
    metric: { namespace: "AWS/DynamoDB", metricName, dimensions, period: PERIOD, stat: "Sum" },
  });
  const table = { TableName: tableName };

  const throttles = [
    sum("tableReads", "ReadThrottleEvents", table),
    sum("tableWrites", "WriteThrottleEvents", table),
    ...TABLE_INDEXES.map((index) => sum(`${index}Writes`, "WriteThrottleEvents", { ...table, GlobalSecondaryIndexName: index })),
    ...TABLE_INDEXES.map((index) => sum(`${index}Reads`, "ReadThrottleEvents", { ...table, GlobalSecondaryIndexName: index })),
  ];
  // SystemErrors exists only per operation, so the alarm adds up the operations Flint sends.
  const systemErrors = TABLE_OPERATIONS.map((operation) => sum(`op${operation}`, "SystemErrors", { ...table, Operation: operation }));

  return [
    new aws.cloudwatch.MetricAlarm("TableThrottles", {
      ...actions,
      name: `${service}-table-throttles`,
      alarmDescription: `DynamoDB throttled at least ${ALARM_THRESHOLDS.dynamoDbThrottles} requests in 5 minutes on the table or its indexes.`,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: ALARM_THRESHOLDS.dynamoDbThrottles,
      evaluationPeriods: 1,
      metricQueries: [
        ...throttles.map((query) => ({ ...query, returnData: false })),
        { id: "throttles", expression: "SUM(METRICS())", label: "Throttle events", returnData: true },
      ],
    }),
    new aws.cloudwatch.MetricAlarm("TableSystemErrors", {
      ...actions,
      name: `${service}-table-system-errors`,
      alarmDescription: `DynamoDB returned at least ${ALARM_THRESHOLDS.dynamoDbSystemErrors} server errors in 5 minutes.`,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: ALARM_THRESHOLDS.dynamoDbSystemErrors,
      evaluationPeriods: 1,
      metricQueries: [
        ...systemErrors.map((query) => ({ ...query, returnData: false })),
        { id: "systemErrors", expression: "SUM(METRICS())", label: "System errors", returnData: true },
      ],
    }),
  ];
}
