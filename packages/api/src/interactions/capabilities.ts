import type { CapabilityStatement, CapabilityStatementRestResource } from "fhir/r4";
import { RESOURCE_TYPES } from "@flint/core";
import { TYPE_INTERACTIONS, type FhirRequest, type FhirResponse, type Interaction, type Route } from "../context.ts";

/** Name and version reported in `CapabilityStatement.software`. */
export const SOFTWARE = { name: "Flint", version: "0.1.0" } as const;

type TypeInteraction = CapabilityStatementRestResource["interaction"] extends Array<infer I> | undefined
  ? I extends { code: infer C }
    ? C
    : never
  : never;

/**
 * Builds the CapabilityStatement from the route table (R4 capabilitystatement.html), so it lists
 * exactly the interactions that have a handler, for every R4 resource type.
 */
export function buildCapabilityStatement(routes: readonly Route[], baseUrl: string, date: string): CapabilityStatement {
  const interactions = new Set<Interaction>(routes.map((route) => route.interaction));
  const typeCodes = [...interactions].filter((code) => TYPE_INTERACTIONS.has(code)) as TypeInteraction[];
  const systemCodes = [...interactions].filter(
    (code): code is "transaction" | "batch" | "search-system" | "history-system" =>
      code === "transaction" || code === "batch" || code === "search-system" || code === "history-system",
  );
  const updates = interactions.has("update");

  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date,
    publisher: "Flint",
    kind: "instance",
    software: { ...SOFTWARE },
    implementation: { description: "Flint FHIR R4 server", url: baseUrl },
    fhirVersion: "4.0.1",
    format: ["application/fhir+json", "json"],
    rest: [
      {
        mode: "server",
        resource: RESOURCE_TYPES.map((type) => ({
          type: type as CapabilityStatementRestResource["type"],
          interaction: typeCodes.map((code) => ({ code })),
          versioning: "versioned",
          readHistory: interactions.has("vread"),
          updateCreate: updates,
          conditionalCreate: false,
          conditionalRead: "not-supported",
          conditionalUpdate: false,
          conditionalDelete: "not-supported",
        })),
        interaction: systemCodes.map((code) => ({ code })),
      },
    ],
  };
}

/** capabilities: `GET [base]/metadata` (R4 http.html#capabilities). */
export function capabilities(routes: readonly Route[], startedAt: string) {
  return async (request: FhirRequest): Promise<FhirResponse> => ({
    status: 200,
    body: buildCapabilityStatement(routes, request.baseUrl, startedAt),
  });
}
