import type { Resource } from "fhir/r4";
import { createApp, silentLogger } from "@flint/api";
import type { FhirRepository } from "@flint/repository";
import { createStoreRepository } from "../setup/stores.ts";

export const BASE = "http://flint.test/fhir";

export interface FhirResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is empty. */
  json: any;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: BodyInit;
}

/**
 * Starts the app on an empty repository of the run's store (DynamoDB Local unless the project
 * sets another), or on `repository` when given, and returns a request helper.
 */
export async function createTestApp(options: { maxBodyBytes?: number; repository?: FhirRepository } = {}) {
  const { repository: given, ...settings } = options;
  const repository = given ?? (await createStoreRepository());
  const app = createApp({ repository, logger: silentLogger, baseUrl: BASE, ...settings });

  async function fhir(method: string, path: string, request: RequestOptions = {}): Promise<FhirResult> {
    const headers: Record<string, string> = { ...request.headers };
    let body: BodyInit | undefined = request.raw;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers["content-type"] ??= "application/fhir+json";
    }
    const response = await app.fetch(new Request(`${BASE}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }));
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: text === "" ? undefined : JSON.parse(text) };
  }

  async function createResource<T extends Resource>(
    resource: T,
  ): Promise<T & { id: string; meta: { versionId: string; lastUpdated: string } }> {
    const result = await fhir("POST", `/${resource.resourceType}`, { body: resource });
    if (result.status !== 201) throw new Error(`create failed with ${result.status}: ${result.text}`);
    return result.json;
  }

  return { app, repository, fhir, createResource };
}

/** Returns the issue codes of an OperationOutcome body. */
export function issueCodes(outcome: any): string[] {
  return (outcome?.issue ?? []).map((issue: { code: string }) => issue.code);
}
