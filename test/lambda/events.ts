/**
 * Builders of the HTTP events that AWS passes to a Lambda function. They follow the shapes that
 * the AWS documentation gives for API Gateway REST APIs (payload 1.0), HTTP APIs (payload 2.0),
 * Function URLs and Application Load Balancer targets, with and without multi-value headers.
 * Each builder encodes the query string, headers and body the way that service does.
 */
import type { APIGatewayProxyResult, LambdaEvent } from "hono/aws-lambda";

/** A client's HTTP request: query parameters and headers in the order sent, values not encoded. */
export interface ClientRequest {
  method: string;
  path: string;
  query?: Array<[string, string]>;
  headers?: Array<[string, string]>;
  body?: string;
  /** Sends the body base64-encoded, as API Gateway does for binary media types. ALB decides by the content type. */
  base64?: boolean;
}

export interface EventSource {
  name: string;
  /** Scheme, host and path of the FHIR endpoint as the client sees it. */
  baseUrl: string;
  /** Whether the result carries `multiValueHeaders` instead of `headers`. */
  multiValueResponse: boolean;
  /** Whether the result needs `statusDescription` (ALB). */
  statusDescription: boolean;
  /** Whether a repeated query parameter reaches the function with every value; ALB without multi-value headers keeps the last. */
  repeatedQuery: boolean;
  toEvent(request: ClientRequest): LambdaEvent;
}

const REQUEST_TIME = "05/Dec/2026:10:15:00 +0000";
const REQUEST_EPOCH = 1_796_465_700_000;
const CLIENT_IP = "198.51.100.7";
const USER_AGENT = "flint-test/1.0";

/** Returns an ALB event body: empty, base64-encoded or as written. */
function albBody(body: string | undefined, encoded: boolean): string {
  if (body === undefined) return "";
  return encoded ? base64(body) : body;
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

function encodeBody(body: string, request: ClientRequest): string {
  return request.base64 === true ? base64(body) : body;
}

/** Groups repeated names in order: `[["a","1"],["a","2"]]` becomes `{ a: ["1","2"] }`. */
function group(pairs: ReadonlyArray<[string, string]>, name: (key: string) => string = (key) => key): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const [key, value] of pairs) (grouped[name(key)] ??= []).push(value);
  return grouped;
}

function lastValues(grouped: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(grouped).map(([key, values]) => [key, values.at(-1)!]));
}

function encodeQuery(pairs: ReadonlyArray<[string, string]>): string {
  return pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join("&");
}

/** Headers every proxy adds in front of the function. */
function forwardedHeaders(host: string, proto = "https"): Array<[string, string]> {
  return [
    ["Host", host],
    ["User-Agent", USER_AGENT],
    ["X-Amzn-Trace-Id", "Root=1-6751a0b4-0123456789abcdef01234567"],
    ["X-Forwarded-For", CLIENT_IP],
    ["X-Forwarded-Port", proto === "https" ? "443" : "80"],
    ["X-Forwarded-Proto", proto],
  ];
}

function withContentLength(request: ClientRequest): Array<[string, string]> {
  const headers = [...(request.headers ?? [])];
  if (request.body !== undefined) headers.push(["Content-Length", String(Buffer.byteLength(request.body))]);
  return headers;
}

/**
 * Describes a REST API (payload 1.0) reached through a custom domain whose base path mapping is
 * empty, so the stage is not part of the client's URL. Query values arrive decoded. `headers`
 * and `queryStringParameters` keep the last value, and the multi-value maps keep them all.
 */
export function restApi(): EventSource {
  const domainName = "fhir.example.org";
  return {
    name: "API Gateway REST API (v1)",
    baseUrl: `https://${domainName}/fhir`,
    multiValueResponse: true,
    statusDescription: false,
    repeatedQuery: true,
    toEvent(request) {
      const headers = group([...forwardedHeaders(domainName), ...withContentLength(request)]);
      const query = group(request.query ?? []);
      const hasQuery = Object.keys(query).length > 0;
      return {
        version: "1.0",
        resource: "/fhir/{proxy+}",
        path: request.path,
        httpMethod: request.method,
        headers: lastValues(headers),
        multiValueHeaders: headers,
        queryStringParameters: hasQuery ? lastValues(query) : null,
        multiValueQueryStringParameters: hasQuery ? query : null,
        pathParameters: { proxy: request.path.replace(/^\/fhir\/?/, "") },
        stageVariables: null,
        requestContext: {
          accountId: "123456789012",
          apiId: "a1b2c3d4e5",
          domainName,
          domainPrefix: "fhir",
          extendedRequestId: "ExtReqId0001=",
          httpMethod: request.method,
          identity: { sourceIp: CLIENT_IP, userAgent: USER_AGENT },
          path: request.path,
          protocol: "HTTP/1.1",
          requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
          requestTime: REQUEST_TIME,
          requestTimeEpoch: REQUEST_EPOCH,
          resourceId: "abc123",
          resourcePath: "/fhir/{proxy+}",
          stage: "prod",
        },
        body: request.body === undefined ? null : encodeBody(request.body, request),
        isBase64Encoded: request.base64 === true,
      } as unknown as LambdaEvent;
    },
  };
}

/**
 * Builds a payload 2.0 event, as an HTTP API or a Function URL sends it. The path and query
 * string are raw, header names are in lower case, and repeated header and query values are
 * joined by commas.
 */
function payloadV2(request: ClientRequest, context: { domainName: string; apiId: string; accountId: string; routeKey: string }): LambdaEvent {
  const headers = group([...forwardedHeaders(context.domainName), ...withContentLength(request)], (name) => name.toLowerCase());
  const query = group(request.query ?? []);
  return {
    version: "2.0",
    routeKey: context.routeKey,
    rawPath: request.path,
    rawQueryString: encodeQuery(request.query ?? []),
    headers: Object.fromEntries(Object.entries(headers).map(([name, values]) => [name, values.join(",")])),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: Object.fromEntries(Object.entries(query).map(([key, values]) => [key, values.join(",")])) } : {}),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      domainName: context.domainName,
      domainPrefix: context.domainName.split(".")[0],
      http: { method: request.method, path: request.path, protocol: "HTTP/1.1", sourceIp: CLIENT_IP, userAgent: USER_AGENT },
      requestId: "JKJaXmPLvHcESHA=",
      routeKey: context.routeKey,
      stage: "$default",
      time: REQUEST_TIME,
      timeEpoch: REQUEST_EPOCH,
    },
    ...(request.body === undefined ? {} : { body: encodeBody(request.body, request) }),
    isBase64Encoded: request.base64 === true,
  } as unknown as LambdaEvent;
}

/** Describes an HTTP API (payload 2.0) on its `$default` stage, with an `ANY /fhir/{proxy+}` route. */
export function httpApi(): EventSource {
  const domainName = "f9g8h7j6k5.execute-api.us-east-1.amazonaws.com";
  return {
    name: "API Gateway HTTP API (v2)",
    baseUrl: `https://${domainName}/fhir`,
    multiValueResponse: false,
    statusDescription: false,
    repeatedQuery: true,
    toEvent: (request) => payloadV2(request, { domainName, apiId: "f9g8h7j6k5", accountId: "123456789012", routeKey: "ANY /fhir/{proxy+}" }),
  };
}

/** Describes a Function URL with `NONE` auth, which sends payload 2.0 with the route key `$default`. */
export function functionUrl(): EventSource {
  const domainName = "x7lq3vkqomtpunhdwvb2lhy6ye0vxbmg.lambda-url.us-east-1.on.aws";
  return {
    name: "Function URL",
    baseUrl: `https://${domainName}/fhir`,
    multiValueResponse: false,
    statusDescription: false,
    repeatedQuery: true,
    toEvent: (request) => payloadV2(request, { domainName, apiId: "x7lq3vkqomtpunhdwvb2lhy6ye0vxbmg", accountId: "anonymous", routeKey: "$default" }),
  };
}

/** Content types whose bodies ALB passes as text; it base64-encodes every other body. */
const ALB_TEXT_TYPES = /^(text\/|application\/(json|javascript|xml)\s*(;|$))/i;

/**
 * Describes an Application Load Balancer target group. Query values arrive as the client encoded them,
 * header names in lower case. Without multi-value headers the last value of each wins; with
 * them, `multiValueHeaders` and `multiValueQueryStringParameters` keep every value.
 */
export function loadBalancer(options: { multiValueHeaders: boolean; proto?: "http" | "https" }): EventSource {
  const host = "flint-alb-1234567890.us-east-1.elb.amazonaws.com";
  const proto = options.proto ?? "https";
  return {
    name: `Application Load Balancer (${options.multiValueHeaders ? "multi-value headers" : "single-value headers"}, ${proto})`,
    baseUrl: `${proto}://${host}/fhir`,
    multiValueResponse: options.multiValueHeaders,
    statusDescription: true,
    repeatedQuery: options.multiValueHeaders,
    toEvent(request) {
      const headers = group([...forwardedHeaders(host, proto), ...withContentLength(request)], (name) => name.toLowerCase());
      const query = group((request.query ?? []).map(([key, value]) => [encodeURIComponent(key), encodeURIComponent(value)]));
      const contentType = headers["content-type"]?.at(-1) ?? "";
      const encoded = request.body !== undefined && (request.base64 === true || !ALB_TEXT_TYPES.test(contentType));
      return {
        requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/flint/6d0ecf831eec9f09" } },
        httpMethod: request.method,
        path: request.path,
        ...(options.multiValueHeaders ? { multiValueQueryStringParameters: query, multiValueHeaders: headers } : { queryStringParameters: lastValues(query), headers: lastValues(headers) }),
        body: albBody(request.body, encoded),
        isBase64Encoded: encoded,
      } as unknown as LambdaEvent;
    },
  };
}

/** Reads one response header from either result shape, and checks the shape is the one `source` expects. */
export function responseHeader(source: EventSource, result: APIGatewayProxyResult, name: string): string | undefined {
  const key = name.toLowerCase();
  if (source.multiValueResponse) {
    if (result.multiValueHeaders === undefined) throw new Error(`${source.name} expects multiValueHeaders in the result.`);
    const values = result.multiValueHeaders[key];
    return values === undefined ? undefined : values.join(", ");
  }
  if (result.headers === undefined) throw new Error(`${source.name} expects headers in the result.`);
  const value = result.headers[key];
  return Array.isArray(value) ? value.join(", ") : value;
}
