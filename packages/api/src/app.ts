import { Hono, type Context } from "hono";
import { FhirError, formatOperationOutcome, prettyJson, RawJson, stringifyWithRaw } from "@flint/core";
import type { ApiSettings, FhirRequest, FhirResponse, Interaction, Route } from "./context.ts";
import { checkRequestFormat, FHIR_JSON, negotiateResponseFormat } from "./http/negotiation.ts";
import { parsePrefer } from "./http/prefer.ts";
import { jsonLogger, type Logger } from "./logging.ts";
import { noRequestMetrics, readLambdaRequestId, type RequestMetrics, type RequestSummary } from "./observability/request.ts";
import { buildRoutes } from "./routes.ts";

/** Default request body limit: room for a 6.4 MB Synthea transaction bundle with margin. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Parameters every route accepts (R4 http.html#general). */
const GENERAL_PARAMETERS = new Set(["_format", "_pretty"]);

export interface AppOptions extends Omit<ApiSettings, "maxBodyBytes"> {
  maxBodyBytes?: number;
  /** Path of the FHIR endpoint, `/fhir` unless set. */
  basePath?: string;
  logger?: Logger;
  /** Per-request metrics, such as `createLambdaObservability().metrics`; none unless set. */
  metrics?: RequestMetrics;
}

type Variables = { interaction?: Interaction; resourceType?: string; requestId: string };

/**
 * Builds the Flint HTTP app on Web-standard `Request`/`Response`; each runtime adapter only
 * passes requests to `app.fetch`.
 */
export function createApp(options: AppOptions) {
  const basePath = options.basePath ?? "/fhir";
  const logger = options.logger ?? jsonLogger;
  const metrics = options.metrics ?? noRequestMetrics;
  const settings: ApiSettings = { ...options, maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES };
  const routes = buildRoutes(new Date().toISOString());
  const app = new Hono<{ Variables: Variables }>().basePath(basePath);

  app.use(async (c, next) => {
    const started = performance.now();
    const requestId = crypto.randomUUID();
    c.set("requestId", requestId);
    // render() sets X-Request-Id, because a header set here, after the response exists, makes
    // Hono copy the response and turn its text body into a stream.
    const usage = await metrics.measure(next);
    const summary: RequestSummary = {
      requestId,
      lambdaRequestId: readLambdaRequestId(c.env),
      method: c.req.method,
      interaction: c.get("interaction"),
      resourceType: c.get("resourceType"),
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...usage,
    };
    logger.info(summary);
    metrics.record(summary);
  });

  for (const route of routes) {
    app.on(route.method, route.path, (c) => handle(c, route, settings, basePath));
  }
  for (const [path, methods] of allowedMethods(routes)) {
    app.all(path, (c) => {
      c.header("Allow", methods.join(", "));
      throw new FhirError("method-not-allowed", `${c.req.method} is not supported on this URL; use ${methods.join(" or ")}.`);
    });
  }

  app.notFound(() => {
    throw new FhirError("not-found", "No FHIR interaction matches this URL.");
  });
  app.onError((error, c) => errorResponse(c, error, logger));
  return app;
}

async function handle(c: Context<{ Variables: Variables }>, route: Route, settings: ApiSettings, basePath: string) {
  c.set("interaction", route.interaction);
  const type = c.req.param("type");
  if (type !== undefined) c.set("resourceType", type);

  const url = new URL(c.req.url);
  negotiateResponseFormat(url.searchParams.get("_format") ?? undefined, c.req.header("accept"));
  if (route.hasBody) checkRequestFormat(c.req.header("content-type"));
  checkParameters(url.searchParams, route);

  const request: FhirRequest = {
    request: c.req.raw,
    params: c.req.param() as Record<string, string>,
    query: url.searchParams,
    baseUrl: settings.baseUrl ?? `${url.origin}${basePath}`,
    prefer: parsePrefer(c.req.header("prefer")),
    settings,
  };
  const response = await route.handler(request);
  return render(response, url.searchParams.get("_pretty") === "true", c.get("requestId"));
}

/** Rejects query parameters the route does not understand rather than ignoring them. */
function checkParameters(query: URLSearchParams, route: Route): void {
  if (route.parameters === "any") return;
  const parameters = route.parameters;
  const unknown = [...new Set(query.keys())].filter((name) => !GENERAL_PARAMETERS.has(name) && !parameters.includes(name));
  if (unknown.length === 0) return;
  const allowed = [...GENERAL_PARAMETERS, ...parameters].join(", ");
  throw new FhirError("not-supported", {
    diagnostics: `Parameter ${unknown.map((name) => `"${name.slice(0, 64)}"`).join(", ")} is not supported by ${route.interaction}; supported: ${allowed}.`,
  });
}

function render(response: FhirResponse, pretty: boolean, requestId: string): Response {
  const headers = new Headers(response.headers);
  headers.set("X-Request-Id", requestId);
  if (response.body === undefined) return new Response(null, { status: response.status, headers });
  headers.set("Content-Type", `${FHIR_JSON}; charset=utf-8`);
  const compact = response.body instanceof RawJson ? response.body.text : stringifyWithRaw(response.body);
  const text = pretty ? prettyJson(compact) : compact;
  return new Response(text, { status: response.status, headers });
}

function errorResponse(c: Context<{ Variables: Variables }>, error: unknown, logger: Logger): Response {
  const pretty = new URL(c.req.url).searchParams.get("_pretty") === "true";
  const headers: Record<string, string> = {};
  const allow = c.res.headers.get("Allow");
  if (allow !== null) headers.Allow = allow;

  // Requests outside the base path skip the middleware, so they get their id here.
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  if (error instanceof FhirError) {
    if (error.kind === "transient") headers["Retry-After"] = "1";
    return render({ status: error.status, headers, body: error.toOperationOutcome() }, pretty, requestId);
  }

  logger.error({
    requestId,
    interaction: c.get("interaction"),
    error: error instanceof Error ? error.name : typeof error,
    message: error instanceof Error ? error.message : undefined,
    stack: error instanceof Error ? error.stack : undefined,
  });
  const outcome = formatOperationOutcome([
    { code: "exception", diagnostics: `An unexpected error occurred; quote request id ${requestId} when reporting it.` },
  ]);
  return render({ status: 500, body: outcome }, pretty, requestId);
}

/** Methods served on each path, for the `Allow` header of 405 responses. */
function allowedMethods(routes: readonly Route[]): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const route of routes) byPath.set(route.path, [...(byPath.get(route.path) ?? []), route.method]);
  return byPath;
}
