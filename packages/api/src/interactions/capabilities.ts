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
  const limits = `Up to ${MAX_BUNDLE_ENTRIES} entries and a request body of at most ${maxBodyBytes} bytes; references between entries and conditional references are resolved.`;
  const documentation = {
    transaction: `All or nothing, whatever the number of database writes. ${limits}`,
    batch: `Each entry succeeds or fails on its own, and entries run concurrently. ${limits}`,
  };

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
          code === "transaction" || code === "batch" ? { code, documentation: documentation[code] } : { code },
        ),
        ...(interactions.has("search-system") ? { searchParam: commonParameters() } : {}),
      },
    ],
  };
}

/**
 * Notes on the search method of each parameter type, stated in the CapabilityStatement. Criteria without an
 * index are checked on the candidates that other criteria or the type listing propose, within
 * the request's limits. So a page may hold fewer matches than _count, which R4 allows. A search
 * that finds nothing within the limits is rejected as too-costly.
 */
const UNINDEXED = "are checked on the candidates of other criteria or of the whole type, within the search's read and time limits";
const INDEX_NOTES: Record<string, string> = {
  token: `Read from an index without a modifier; :not, :text, :of-type and :missing ${UNINDEXED}. Pages of up to ${MAX_SEARCH_COUNT} matches.`,
  reference: `Read from an index for Type/id (also with :[type]) and absolute URLs; bare ids, :identifier and :missing ${UNINDEXED}.`,
  string: `Read from an index by prefix (default and :exact); :contains and :missing ${UNINDEXED}.`,
  uri: `Read from an index for exact values; :below, :above and :missing ${UNINDEXED}.`,
  date: `Read from a range index for every prefix except ne; ne and :missing ${UNINDEXED}.`,
  number: `Read from a range index for every prefix except ne; ne and :missing ${UNINDEXED}.`,
  quantity: `Read from a range index when the value names a unit with its system (UCUM units in base units); other forms, ne and :missing ${UNINDEXED}.`,
  composite: `Composite values ${UNINDEXED}.`,
};

/** Parameters of a system-level search without `_type`: those with the same code and type on every searchable type. */
function commonParameters(): NonNullable<CapabilityStatementRestResource["searchParam"]> {
  const lists = Object.values(SEARCH_PARAMETERS);
  const first = lists[0] ?? [];
  return first
    .filter((definition) => definition.type !== "special" && lists.every((list) => list.some((other) => other.code === definition.code && other.type === definition.type)))
    .map((definition) => ({ name: definition.code, type: definition.type, documentation: INDEX_NOTES[definition.type] ?? "" }));
}

/** Search parameters that work for a type: every R4 parameter of it except the `special` ones. */
function searchParameters(type: string): NonNullable<CapabilityStatementRestResource["searchParam"]> {
  const parameters: NonNullable<CapabilityStatementRestResource["searchParam"]> = [];
  for (const definition of SEARCH_PARAMETERS[type] ?? []) {
    if (definition.type === "special") continue;
    parameters.push({ name: definition.code, type: definition.type, documentation: INDEX_NOTES[definition.type] ?? "" });
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
