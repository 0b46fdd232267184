import type { Resource } from "fhir/r4";
import type { RawJson } from "@flint/core";
import type { FhirRepository } from "@flint/repository";
import type { Preferences } from "./http/prefer.ts";

/** Settings of the API that do not depend on the request. */
export interface ApiSettings {
  repository: FhirRepository;
  /** Largest request body accepted, in bytes; larger bodies get 413. */
  maxBodyBytes: number;
  /** Public base URL (for example `https://fhir.example.org/fhir`); derived from the request when absent. */
  baseUrl?: string;
}

/** Parsed request passed to an interaction handler, free of HTTP framework types. */
export interface FhirRequest {
  request: Request;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** Absolute base URL of the FHIR endpoint, without a trailing slash. */
  baseUrl: string;
  prefer: Preferences;
  settings: ApiSettings;
}

/** Result of an interaction handler, which the app serialises. */
export interface FhirResponse {
  status: number;
  /** A resource, possibly holding `RawJson` parts, or a resource already serialised. */
  body?: Resource | RawJson;
  headers?: Record<string, string>;
}

/** FHIR interaction codes (R4 capabilitystatement `type-restful-interaction` and `system-restful-interaction`). */
export type Interaction =
  | "read"
  | "vread"
  | "update"
  | "patch"
  | "delete"
  | "history-instance"
  | "history-type"
  | "create"
  | "search-type"
  | "transaction"
  | "batch"
  | "search-system"
  | "history-system"
  | "capabilities"
  | "conditional-update"
  | "conditional-delete";

/** Interactions listed per resource type in the CapabilityStatement; the others are system level. */
export const TYPE_INTERACTIONS: ReadonlySet<Interaction> = new Set([
  "read",
  "vread",
  "update",
  "patch",
  "delete",
  "history-instance",
  "history-type",
  "create",
  "search-type",
]);

export type Handler = (request: FhirRequest) => Promise<FhirResponse>;

/** One REST route: the table that the router and the CapabilityStatement are both built from. */
export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Hono path below the base, for example `/:type/:id`. */
  path: string;
  interaction: Interaction;
  /** Query parameters the handler understands, besides `_format` and `_pretty`; "any" when it checks them itself. */
  parameters: readonly string[] | "any";
  /** True when the handler reads a request body. */
  hasBody?: boolean;
  handler: Handler;
}
