import type { CapabilityStatement, CapabilityStatementRestResource } from "fhir/r4";
import { MAX_SEARCH_COUNT, RESOURCE_TYPES, SEARCH_PARAMETERS } from "@flint/core";
import { MAX_BUNDLE_ENTRIES } from "../bundle/entries.ts";
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
export function buildCapabilityStatement(routes: readonly Route[], baseUrl: string, date: string, maxBodyBytes: number): CapabilityStatement {
  const interactions = new Set<Interaction>(routes.map((route) => route.interaction));
  // One handler serves both Bundle types on POST [base].
  if (interactions.has("transaction")) interactions.add("batch");
  const typeCodes = [...interactions].filter((code) => TYPE_INTERACTIONS.has(code)) as TypeInteraction[];
  typeCodes.sort();
  const systemCodes = [...interactions].filter(
    (code): code is "transaction" | "batch" | "search-system" | "history-system" =>
      code === "transaction" || code === "batch" || code === "search-system" || code === "history-system",
  );
  const updates = interactions.has("update");
  const bundleLimits =
    `Atomic for up to ${MAX_BUNDLE_ENTRIES} entries and a request body of at most ${maxBodyBytes} bytes, ` +
    "whatever the number of database writes; references between entries and conditional references are resolved.";

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
          versioning: "versioned-update",
          readHistory: interactions.has("vread"),
          updateCreate: updates,
          conditionalCreate: interactions.has("create") && interactions.has("search-type"),
          conditionalRead: "full-support",
          conditionalUpdate: interactions.has("conditional-update"),
          conditionalDelete: interactions.has("conditional-delete") ? "single" : "not-supported",
          ...(interactions.has("search-type")
            ? { searchParam: searchParameters(type), searchInclude: includesOf(type), searchRevInclude: revIncludesOf(type) }
            : {}),
        })),
        interaction: systemCodes.map((code) =>
          code === "transaction" || code === "batch" ? { code, documentation: bundleLimits } : { code },
        ),
      },
    ],
  };
}

/** Search method per parameter type, stated in the CapabilityStatement; a scan may return short pages, as R4 allows. */
const SCAN_NOTE =
  "Matched by reading the resources of the type, so on large types a page may hold fewer matches than _count; follow the next link.";
const INDEX_NOTES: Partial<Record<string, string>> = {
  token: `Read from an index without a modifier; with :not, :text, :of-type or :missing, matched by reading the resources of the type. Pages of up to ${MAX_SEARCH_COUNT} matches.`,
  reference: "Read from an index for Type/id and absolute URLs; other forms and modifiers are matched by reading the resources of the type.",
  string: "Read from an index by prefix (default and :exact); :contains and :missing are matched by reading the resources of the type.",
  uri: "Read from an index for exact values; :below, :above and :missing are matched by reading the resources of the type.",
};

/** Search parameters that work for a type: every R4 parameter of it except the `special` ones. */
function searchParameters(type: string): NonNullable<CapabilityStatementRestResource["searchParam"]> {
  const parameters: NonNullable<CapabilityStatementRestResource["searchParam"]> = [];
  for (const definition of SEARCH_PARAMETERS[type] ?? []) {
    if (definition.type === "special") continue;
    parameters.push({ name: definition.code, type: definition.type, documentation: INDEX_NOTES[definition.type] ?? SCAN_NOTE });
  }
  return parameters;
}

/** `_include` values of a type: `*` and each of its reference parameters. */
function includesOf(type: string): string[] {
  const references = (SEARCH_PARAMETERS[type] ?? []).filter((definition) => definition.type === "reference");
  return ["*", ...references.map((definition) => `${type}:${definition.code}`)];
}

/** `_revinclude` values of a type: every reference parameter of any type that may point to it. */
function revIncludesOf(type: string): string[] {
  const found: string[] = [];
  for (const [source, definitions] of Object.entries(SEARCH_PARAMETERS)) {
    for (const definition of definitions) {
      if (definition.type === "reference" && (definition.target === undefined || definition.target.includes(type))) found.push(`${source}:${definition.code}`);
    }
  }
  return found;
}

/** capabilities: `GET [base]/metadata` (R4 http.html#capabilities). */
export function capabilities(routes: readonly Route[], startedAt: string) {
  return async (request: FhirRequest): Promise<FhirResponse> => ({
    status: 200,
    body: buildCapabilityStatement(routes, request.baseUrl, startedAt, request.settings.maxBodyBytes),
  });
}
