import { STATUS_CODES } from "node:http";
import { Hono, type Env, type Schema } from "hono";
import { handle, type ALBRequestContext, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";

/** An Application Load Balancer event, with `headers` or, when multi-value headers are enabled on the target group, `multiValueHeaders`. */
export type AlbEvent = Extract<LambdaEvent, { requestContext: ALBRequestContext }>;

/** The Lambda handler of an HTTP app: API Gateway REST (v1) and HTTP API (v2) events, Function URL events and ALB events. */
export type LambdaHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<APIGatewayProxyResult>;

/**
 * Builds the Lambda handler of a Hono app on `hono/aws-lambda`. That adapter converts API
 * Gateway v1 and v2, Function URL and ALB events to a `Request`, and the `Response` back into
 * the result shape of each event type. It decodes base64 bodies, keeps every value of v1 and
 * ALB multi-value query strings, and returns `multiValueHeaders` when the event had them.
 *
 * It fills three gaps of that adapter (hono 4.13) for ALB events:
 * - repeated request headers are joined with ", " (HTTP's list separator; "; " for `Cookie`)
 *   rather than with "; ", which would turn two `Accept` headers into one media type with
 *   parameters;
 * - the request URL takes its scheme from `X-Forwarded-Proto`, which the load balancer sets,
 *   so `Location` and `fullUrl` say `http:` behind an HTTP listener (the adapter always says
 *   `https:`);
 * - the result has the `statusDescription` ("404 Not Found") that ALB requires;
 * - an event without a `Host` header, such as a target group health check, is served as if
 *   sent to `localhost` (the adapter would build the URL `https://undefined/…`).
 */
export function createLambdaHandler<E extends Env, S extends Schema, BasePath extends string>(app: Hono<E, S, BasePath>): LambdaHandler {
  const handleProxyEvent = handle(app);
  const handleAlbEvent = handle(new Hono().all("*", (c) => app.fetch(withForwardedScheme(c.req.raw), c.env as E["Bindings"])));

  return async (event, context) => {
    if (!isAlbEvent(event)) return handleProxyEvent(event, context);

    const result = await handleAlbEvent(withDefaultHost(joinAlbHeaders(event)), context);
    return { ...result, statusDescription: `${result.statusCode} ${STATUS_CODES[result.statusCode] ?? ""}`.trim() };
  };
}

/** Tells ALB events apart the way `hono/aws-lambda` does: only they carry `requestContext.elb`. */
export function isAlbEvent(event: LambdaEvent): event is AlbEvent {
  return event.requestContext !== undefined && Object.hasOwn(event.requestContext, "elb");
}

/** Joins each repeated header of a multi-value ALB event into one value, as HTTP combines field lines. */
export function joinAlbHeaders(event: AlbEvent): AlbEvent {
  if (event.multiValueHeaders === undefined) return event;

  const joined: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(event.multiValueHeaders)) {
    if (values === undefined || values.length === 0) continue;
    joined[name] = [values.join(name.toLowerCase() === "cookie" ? "; " : ", ")];
  }
  return { ...event, multiValueHeaders: joined };
}

/** Host of the request URL of an ALB event that names none. */
const DEFAULT_ALB_HOST = "localhost";

/** Adds a `Host` header to an ALB event that has none, in the header map the event uses. */
export function withDefaultHost(event: AlbEvent): AlbEvent {
  if (event.multiValueHeaders !== undefined) {
    if (event.multiValueHeaders.host?.[0] !== undefined) return event;
    return { ...event, multiValueHeaders: { ...event.multiValueHeaders, host: [DEFAULT_ALB_HOST] } };
  }
  if (event.headers?.host !== undefined) return event;
  return { ...event, headers: { ...event.headers, host: DEFAULT_ALB_HOST } };
}

/** Returns the request with an `http:` URL when the load balancer received it over HTTP. */
function withForwardedScheme(request: Request): Request {
  if (request.headers.get("x-forwarded-proto") !== "http") return request;

  const url = new URL(request.url);
  url.protocol = "http:";
  return new Request(url, request);
}
