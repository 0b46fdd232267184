import type { MonitoredResources } from "./monitoring";
import { METRICS_NAMESPACE, REQUEST_METRICS } from "./schema";
import type { StageSettings } from "./stage";

type Output<T> = $util.Output<T>;

/** One entry of a widget's `metrics` list: namespace, name, dimension pairs, then options. */
type MetricLine = Array<string | Output<string> | Record<string, unknown>>;

/** Width of a dashboard row in grid units, as CloudWatch defines it. */
const ROW = 24;

/**
 * Creates the stage's CloudWatch dashboard: requests and errors, latency percentiles, requests
 * per interaction, the function's invocations and concurrency, DynamoDB capacity and errors
 * for the DynamoDB store, and the state of every alarm.
 */
export function createDashboard(settings: StageSettings, resources: MonitoredResources, alarmArns: Output<string>[]) {
  const region = aws.getRegionOutput().region;
  const service = settings.metricsService;
  const flint = (metric: string, stat: string, label: string): MetricLine => [METRICS_NAMESPACE, metric, "Service", service, { stat, label }];
  const lambda = (metric: string, stat: string, label: string): MetricLine => ["AWS/Lambda", metric, "FunctionName", resources.functionName, { stat, label }];

  const widgets = [
    metricWidget("Requests and errors", [flint(REQUEST_METRICS.requests, "Sum", "requests"), flint(REQUEST_METRICS.serverErrors, "Sum", "5xx"), flint(REQUEST_METRICS.clientErrors, "Sum", "4xx")]),
    metricWidget("Latency (ms)", [flint(REQUEST_METRICS.latency, "p50", "p50"), flint(REQUEST_METRICS.latency, "p90", "p90"), flint(REQUEST_METRICS.latency, "p99", "p99")]),
    metricWidget("Requests by interaction", [
      [{ expression: `SEARCH('{${METRICS_NAMESPACE},Service,Interaction} MetricName="${REQUEST_METRICS.requests}" Service="${service}"', 'Sum', 300)`, id: "byInteraction" }],
    ]),
    metricWidget("Function", [
      lambda("Invocations", "Sum", "invocations"),
      lambda("Errors", "Sum", "errors"),
      lambda("Throttles", "Sum", "throttles"),
      lambda("ConcurrentExecutions", "Maximum", "concurrency"),
    ]),
  ];

  const tableName = resources.tableName;
  if (tableName !== undefined) {
    const dynamo = (metric: string, stat: string, label: string): MetricLine => ["AWS/DynamoDB", metric, "TableName", tableName, { stat, label }];
    widgets.push(
      metricWidget("DynamoDB capacity per request", [flint(REQUEST_METRICS.consumedRead, "Average", "read units"), flint(REQUEST_METRICS.consumedWrite, "Average", "write units")]),
      metricWidget("DynamoDB table", [
        dynamo("ConsumedReadCapacityUnits", "Sum", "read units"),
        dynamo("ConsumedWriteCapacityUnits", "Sum", "write units"),
        dynamo("ReadThrottleEvents", "Sum", "read throttles"),
        dynamo("WriteThrottleEvents", "Sum", "write throttles"),
      ]),
    );
  }

  const placed = [...widgets.map((widget, index) => ({ ...widget, x: (index % 2) * (ROW / 2), y: Math.floor(index / 2) * 6, width: ROW / 2, height: 6 }))];
  placed.push({ type: "alarm", properties: { title: "Alarms", alarms: alarmArns }, x: 0, y: Math.ceil(widgets.length / 2) * 6, width: ROW, height: 3 });

  return new aws.cloudwatch.Dashboard("Dashboard", {
    dashboardName: `${settings.metricsService}`,
    dashboardBody: $jsonStringify({ widgets: placed.map((widget) => withRegion(widget, region)) }),
  });
}

function metricWidget(title: string, metrics: MetricLine[]) {
  return { type: "metric", properties: { title, metrics, view: "timeSeries", period: 300, stat: "Sum" } as Record<string, unknown> };
}

/** Sets the region of a metric widget, which CloudWatch requires; alarm widgets need none. */
function withRegion<T extends { type: string; properties: Record<string, unknown> }>(widget: T, region: Output<string>) {
  return widget.type === "metric" ? { ...widget, properties: { ...widget.properties, region } } : widget;
}
