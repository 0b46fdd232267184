import { createApp, createLambdaObservability, type LambdaObservability } from "@flint/api";
import type { FhirRepository } from "@flint/repository";
import { createLambdaHandler, type LambdaHandler } from "./adapter.ts";

/** Opens the store of one Lambda entry from the function's environment. */
export type OpenRepository = (environment: NodeJS.ProcessEnv, observability: LambdaObservability) => Promise<FhirRepository>;

/**
 * Builds the handler of a Lambda entry: opens the store, then adapts API Gateway (REST and HTTP
 * API), Function URL and ALB events to the Flint app. Each store has its own entry
 * (`functions/api.ts` for DynamoDB, `functions/api-postgres.ts` for PostgreSQL), so a bundle
 * carries the client of one store only.
 *
 * `FLINT_BASE_PATH` is the path the app serves (`/fhir` by default; behind an HTTP API stage
 * other than `$default`, the stage comes first, as in `/prod/fhir`). `FLINT_BASE_URL` replaces
 * the base of the URLs in responses, which are otherwise built from the request's host and path:
 * a REST API stage is not part of the path that API Gateway passes on.
 *
 * On Lambda, each request writes one JSON log line with the Lambda request id and the X-Ray
 * trace id, an EMF metrics line, and an X-Ray subsegment per DynamoDB call. Elsewhere metrics
 * and tracing stay off. `FLINT_METRICS=off` and `FLINT_TRACING=off` switch them off on Lambda.
 */
export async function createFunctionHandler(openRepository: OpenRepository): Promise<LambdaHandler> {
  // The logger reads the trace header from the live environment at each record, so it gets process.env itself.
  const observability = createLambdaObservability(process.env);
  const repository = await openRepository(process.env, observability);
  const baseUrl = process.env.FLINT_BASE_URL;
  const app = createApp({
    repository,
    basePath: process.env.FLINT_BASE_PATH ?? "/fhir",
    ...(baseUrl === undefined || baseUrl === "" ? {} : { baseUrl }),
    logger: observability.logger,
    metrics: observability.metrics,
  });
  return createLambdaHandler(app);
}
