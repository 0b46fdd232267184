import type { OperationOutcome, Resource } from "fhir/r4";
import { FhirError, newId, parseTypeSearch, RawJson, validateResource, type Issue, type SearchQuery } from "@flint/core";
import type { OperationResult, StoredResource, StoredVersion, WriteOperation } from "@flint/repository";
import type { FhirRequest } from "../context.ts";
import { parseETag, isNotModified } from "../http/preconditions.ts";
import { commitPlans } from "../interactions/commit.ts";
import { resolveChains } from "../interactions/chains.ts";
import { findIncluded } from "../interactions/includes.ts";
import { findMatches, parseCriteria } from "../interactions/conditional.ts";
import type { WritePlan } from "../interactions/plans.ts";
import { entryPath, type BundleRequestEntry } from "./entries.ts";
import { collectConditionalReferences, resolveConditionalReferences, rewriteReferences, splitRestfulUrl, type BundleResource } from "./references.ts";

/** The `response` part of one response entry, with the resource or outcome that goes with it. */
export interface EntryResponse {
  status: number;
  location?: string;
  etag?: string;
  lastModified?: string;
  resource?: RawJson | Resource;
  outcome?: OperationOutcome;
}

/** Order in which a transaction's writes are resolved (R4 http.html#trules): DELETE, POST, PUT. */
const WRITE_ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2 };

/** Identity an entry resolved to before its resource is rewritten. */
interface Identity {
  id: string;
  /** The stored resource a conditional create matched; nothing is written then. */
  existing?: StoredResource;
  /** Version a conditional match was read at, so the commit fails if it changed. */
  pinned?: number;
  /** Criteria of a conditional create (or conditional update that creates), claimed at commit. */
  claim?: SearchQuery;
  /** True for a conditional delete that matched nothing. */
  nothing?: boolean;
}

/**
 * Processes the entries of a transaction all or nothing (R4 http.html#transaction): resolves
 * every entry's identity, rewrites references between entries and conditional references,
 * validates the resulting resources, commits every write in one repository transaction, then
 * answers the GET entries. Any failure before the commit fails the whole transaction with the
 * entry named in the OperationOutcome.
 */
export async function processTransaction(request: FhirRequest, entries: BundleRequestEntry[]): Promise<EntryResponse[]> {
  for (const entry of entries) {
    if (entry.method === "PATCH" || entry.method === "HEAD") {
      throw new FhirError("not-supported", { diagnostics: `${entry.method} entries are not supported.`, expression: `${entryPath(entry.index)}.request.method` });
    }
    if (entry.resourceType === undefined) {
      throw new FhirError("not-supported", { diagnostics: "A transaction cannot contain a nested Bundle; send it on its own.", expression: entryPath(entry.index) });
    }
    if (entry.method === "GET" && entry.id === undefined) checkSearchEntry(request, entry);
  }

  const writes = entries.filter((entry) => entry.method !== "GET").sort((a, b) => WRITE_ORDER[a.method]! - WRITE_ORDER[b.method]! || a.index - b.index);
  const repository = request.settings.repository;
  const { plans, results } = await commitPlans(
    repository,
    () => planWrites(request, writes),
    (plan) => writes[plan]?.ifMatch !== undefined,
    (plan) => `${entryPath(writes[plan]?.index ?? 0)}: `,
  );

  const responses: EntryResponse[] = new Array(entries.length);
  writes.forEach((entry, position) => (responses[entry.index] = writeResponse(request, entry, plans[position]!, results[position])));
  for (const entry of entries) {
    if (entry.method === "GET") responses[entry.index] = await readEntry(request, entry);
  }
  return entries.map((entry) => responses[entry.index]!);
}

/**
 * Parses the search of a GET entry before anything is written, because a transaction whose
 * entry fails must fail as a whole (R4 http.html#transaction). The search itself runs after the
 * writes, as the processing rules order it.
 * NOTE: a read entry that finds nothing (404 or 410) is only known after the commit, so it is
 * reported in its response entry while the writes stay committed.
 */
function checkSearchEntry(request: FhirRequest, entry: BundleRequestEntry): void {
  try {
    parseTypeSearch(entry.resourceType!, new URLSearchParams(entry.criteria ?? ""), request.prefer.handling, request.baseUrl, { chains: true });
  } catch (error) {
    if (!(error instanceof FhirError)) throw error;
    const where = `${entryPath(entry.index)}.request.url`;
    throw new FhirError(error.kind, error.issues.map((issue) => ({ ...issue, expression: issue.expression ?? where })));
  }
}

async function planWrites(request: FhirRequest, writes: BundleRequestEntry[]): Promise<WritePlan[]> {
  const repository = request.settings.repository;
  const identities = await Promise.all(writes.map((entry) => resolveIdentity(request, entry)));

  const targets = new Map<string, number>();
  const fullUrls = new Map<string, string>();
  const relativeByBase = new Map<string, Map<string, string>>();
  writes.forEach((entry, position) => {
    const identity = identities[position]!;
    if (identity.nothing) return;
    const key = `${entry.resourceType}/${identity.id}`;
    const other = targets.get(key);
    if (other !== undefined) {
      throw new FhirError("invalid", { diagnostics: `Entries ${other} and ${entry.index} both change ${key}; a transaction may change a resource once.`, expression: entryPath(entry.index) });
    }
    targets.set(key, entry.index);
    if (entry.fullUrl !== undefined && entry.method !== "DELETE") {
      fullUrls.set(entry.fullUrl, key);
      const restful = splitRestfulUrl(entry.fullUrl);
      if (restful !== undefined) {
        const relative = relativeByBase.get(restful.base) ?? new Map<string, string>();
        relative.set(restful.local, key);
        relativeByBase.set(restful.base, relative);
      }
    }
  });

  const withBodies = writes.map((entry, position) => ({ entry, identity: identities[position]! })).filter(({ entry }) => entry.source !== undefined);
  const inBundle: BundleResource[] = withBodies.map(({ entry, identity }) => ({ resourceType: entry.resourceType!, id: identity.id, resource: entry.resource! }));
  const conditionalReferences = new Set<string>();
  for (const { entry } of withBodies) for (const reference of collectConditionalReferences(entry.source!)) conditionalReferences.add(reference);
  const resolved = await resolveConditionalReferences(repository, conditionalReferences, inBundle);

  const issues: Issue[] = [];
  const plans = writes.map((entry, position) => {
    const identity = identities[position]!;
    try {
      const base = entry.fullUrl === undefined ? undefined : splitRestfulUrl(entry.fullUrl)?.base;
      const relative = base === undefined ? undefined : relativeByBase.get(base);
      return buildPlan(entry, identity, { fullUrls, relative, resolved }, issues);
    } catch (error) {
      if (error instanceof FhirError) {
        issues.push(...error.issues.map((issue) => ({ ...issue, expression: issue.expression ?? entryPath(entry.index) })));
        return { kind: "nothing", resourceType: entry.resourceType! } as WritePlan;
      }
      throw error;
    }
  });
  if (issues.length > 0) throw new FhirError("structure", issues);
  return plans;
}

/** Decides which resource an entry writes, resolving conditional URLs with a search (R4 http.html#trules). */
async function resolveIdentity(request: FhirRequest, entry: BundleRequestEntry): Promise<Identity> {
  const repository = request.settings.repository;
  const type = entry.resourceType!;
  const where = `${entryPath(entry.index)}.request`;
  try {
    if (entry.method === "POST") {
      if (entry.ifNoneExist === undefined) return { id: newId() };
      const criteria = parseCriteria(type, entry.ifNoneExist, "ifNoneExist");
      const matches = await findMatches(repository, criteria);
      if (matches.length > 1) throw new FhirError("multiple-matches", `ifNoneExist matches more than one ${type}.`);
      return matches.length === 1 ? { id: matches[0]!.id, existing: matches[0]! } : { id: newId(), claim: criteria };
    }
    if (entry.criteria === undefined) return { id: entry.id! };

    const criteria = parseCriteria(type, entry.criteria, `The ${entry.method} URL`);
    const matches = await findMatches(repository, criteria);
    if (matches.length > 1) throw new FhirError("multiple-matches", `The ${entry.method} criteria match more than one ${type}.`);
    const match = matches[0];
    if (match !== undefined) return { id: match.id, pinned: match.versionId };
    if (entry.method === "DELETE") return { id: "", nothing: true };
    const bodyId = entry.resource?.id;
    return { id: bodyId ?? newId(), claim: criteria };
  } catch (error) {
    if (error instanceof FhirError) {
      throw new FhirError(error.kind, error.issues.map((issue) => ({ ...issue, expression: issue.expression ?? where })));
    }
    throw error;
  }
}

/** Replacements for the references of one entry: by fullUrl, relative to its base, and conditional. */
interface ReferenceMaps {
  fullUrls: ReadonlyMap<string, string>;
  relative: ReadonlyMap<string, string> | undefined;
  resolved: ReadonlyMap<string, string>;
}

function buildPlan(entry: BundleRequestEntry, identity: Identity, references: ReferenceMaps, issues: Issue[]): WritePlan {
  const resourceType = entry.resourceType!;
  const ifMatch = entry.ifMatch === undefined ? identity.pinned : parseETag(entry.ifMatch, `${entryPath(entry.index)}.request.ifMatch`);
  if (identity.nothing) return { kind: "nothing", resourceType };
  if (identity.existing !== undefined) return { kind: "existing", resource: identity.existing };
  if (entry.method === "DELETE") {
    const operation: WriteOperation = { kind: "delete", resourceType, id: identity.id, method: "DELETE" };
    if (ifMatch !== undefined) operation.ifMatch = ifMatch;
    return { kind: "write", operation };
  }

  const where = `${entryPath(entry.index)}.resource`;
  const source = rewriteReferences(entry.source!, references.fullUrls, references.relative, references.resolved, where, entry.resource);
  const resource = JSON.parse(source) as Resource;
  const problems = validateResource(resource);
  if (problems.length > 0) {
    issues.push(...problems.map((issue) => ({ ...issue, expression: relocate(issue.expression, resourceType, where) })));
    return { kind: "nothing", resourceType };
  }
  if (entry.method === "PUT" && entry.criteria === undefined && resource.id !== identity.id) {
    const found = resource.id === undefined ? "has no id" : `has id "${resource.id.slice(0, 64)}"`;
    throw new FhirError("invalid", { diagnostics: `The resource ${found} but request.url names id "${identity.id}".`, expression: `${where}.id` });
  }

  const operation: WriteOperation = {
    kind: entry.method === "POST" ? "create" : "update",
    resourceType,
    id: identity.id,
    resource: { ...resource, id: identity.id },
    source,
    method: entry.method === "POST" ? "POST" : "PUT",
  };
  if (ifMatch !== undefined) operation.ifMatch = ifMatch;
  if (identity.claim !== undefined) operation.conditional = identity.claim;
  return { kind: "write", operation };
}

/** Moves a validator expression such as `Patient.name[0]` under the entry: `Bundle.entry[3].resource.name[0]`. */
function relocate(expression: string | undefined, resourceType: string, where: string): string {
  if (expression === undefined) return where;
  return expression.startsWith(resourceType) ? `${where}${expression.slice(resourceType.length)}` : `${where}.${expression}`;
}

function writeResponse(request: FhirRequest, entry: BundleRequestEntry, plan: WritePlan, result: OperationResult | undefined): EntryResponse {
  if (plan.kind === "nothing") return { status: 204 };
  if (plan.kind === "existing") return versionResponse(request, 200, plan.resource);
  if (entry.method === "DELETE") {
    const version = result?.version;
    return version === undefined ? { status: 204 } : { status: 204, etag: `W/"${version.versionId}"` };
  }
  const version = result!.version!;
  return versionResponse(request, result!.created ? 201 : 200, version);
}

function versionResponse(request: FhirRequest, status: number, version: StoredVersion): EntryResponse {
  const response: EntryResponse = {
    status,
    location: `${version.resourceType}/${version.id}/_history/${version.versionId}`,
    etag: `W/"${version.versionId}"`,
    lastModified: version.lastUpdated,
  };
  // Bundles can hold thousands of entries, so resources come back only when asked for.
  if (request.prefer.return === "representation" && version.json !== undefined) response.resource = new RawJson(version.json);
  return response;
}

/** Runs a GET entry: read, vread or search (R4 http.html#transaction, after all writes). */
export async function readEntry(request: FhirRequest, entry: BundleRequestEntry): Promise<EntryResponse> {
  const repository = request.settings.repository;
  const type = entry.resourceType!;
  try {
    if (entry.id === undefined) {
      const query = new URLSearchParams(entry.criteria ?? "");
      const parsed = parseTypeSearch(type, query, request.prefer.handling, request.baseUrl, { chains: true });
      const { ignored } = parsed;
      const search = await resolveChains(repository, parsed.query);
      const page = await repository.search(search);
      const included = await findIncluded(repository, search, page.entries);
      const bundle = {
        resourceType: "Bundle",
        type: "searchset",
        entry: [
          ...page.entries.map((match) => ({ fullUrl: `${request.baseUrl}/${type}/${match.id}`, resource: new RawJson(match.json), search: { mode: "match" } })),
          ...included.map((found) => ({ fullUrl: `${request.baseUrl}/${found.resourceType}/${found.id}`, resource: new RawJson(found.json), search: { mode: "include" } })),
          ...(ignored.length > 0 ? [{ resource: { resourceType: "OperationOutcome", issue: ignored }, search: { mode: "outcome" } }] : []),
        ],
      };
      return { status: 200, resource: bundle as unknown as Resource };
    }

    const version = entry.versionId === undefined ? await repository.read(type, entry.id) : await repository.vread(type, entry.id, entry.versionId);
    if (version.deleted) throw new FhirError("deleted", `Version ${version.versionId} of ${type}/${entry.id} records its deletion.`);
    const conditions = { ifNoneMatch: entry.ifNoneMatch, ifModifiedSince: entry.ifModifiedSince };
    if (entry.versionId === undefined && isNotModified(conditions, version.versionId, version.lastUpdated)) {
      return { status: 304, etag: `W/"${version.versionId}"`, lastModified: version.lastUpdated };
    }
    return { ...versionResponse(request, 200, version), resource: new RawJson(version.json!) };
  } catch (error) {
    if (error instanceof FhirError) return errorResponse(error);
    throw error;
  }
}

export function errorResponse(error: FhirError): EntryResponse {
  return { status: error.status, outcome: error.toOperationOutcome() };
}
