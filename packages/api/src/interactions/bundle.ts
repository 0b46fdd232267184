import type { Bundle, BundleEntry } from "fhir/r4";
import { FhirError, minifyJson, type Issue } from "@flint/core";
import { runBounded } from "../bundle/bounded.ts";
import { entryPath, parseEntries, type ParsedEntry } from "../bundle/entries.ts";
import { errorResponse, processTransaction, readEntry, type EntryResponse } from "../bundle/process.ts";
import type { FhirRequest, FhirResponse } from "../context.ts";
import { parseJson, readBody } from "../http/body.ts";

/** Batch entries processed at the same time. */
export const BATCH_CONCURRENCY = 8;

/** Reason phrases for the statuses that response entries carry (RFC 9110). */
const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Content Too Large",
  422: "Unprocessable Content",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * batch and transaction: `POST [base]` with a Bundle (R4 http.html#transaction). A transaction
 * commits all of its entries or none; a batch processes each entry on its own, so one entry's
 * failure is reported in its response entry and the others still run.
 */
export async function transactionOrBatch(request: FhirRequest): Promise<FhirResponse> {
  const text = await readBody(request.request, request.settings.maxBodyBytes);
  const bundle = parseJson(text, "Bundle");
  const responses = await processBundle(request, bundle, minifyJson(text), 0);
  return { status: 200, body: responseBundle(bundle as { type: string }, responses) };
}

async function processBundle(request: FhirRequest, bundle: unknown, text: string, depth: number): Promise<EntryResponse[]> {
  if (typeof bundle !== "object" || bundle === null || Array.isArray(bundle) || (bundle as { resourceType?: unknown }).resourceType !== "Bundle") {
    throw new FhirError("invalid", { diagnostics: "POST to the base URL needs a Bundle of type batch or transaction.", expression: "Bundle" });
  }
  const type = (bundle as { type?: unknown }).type;
  if (type !== "batch" && type !== "transaction") {
    throw new FhirError("invalid", { diagnostics: `Bundle.type must be batch or transaction, not "${String(type).slice(0, 32)}".`, expression: "Bundle.type" });
  }

  const parsed = parseEntries(bundle as Record<string, unknown>, text, request.baseUrl);
  if (type === "transaction") {
    const problems = parsed.flatMap((entry) => entry.problems);
    if (problems.length > 0) throw new FhirError("structure", problems);
    return processTransaction(request, parsed.map((entry) => entry.entry!));
  }
  return runBounded(parsed.map((entry) => () => processBatchEntry(request, entry, depth)), BATCH_CONCURRENCY);
}

/** Processes one batch entry as a transaction of its own, turning its failure into its response. */
async function processBatchEntry(request: FhirRequest, parsed: ParsedEntry, depth: number): Promise<EntryResponse> {
  try {
    if (parsed.problems.length > 0) throw new FhirError("structure", parsed.problems);
    const entry = parsed.entry!;
    if (entry.resourceType === undefined) {
      if (depth > 0) throw new FhirError("not-supported", { diagnostics: "Bundles may be nested one level deep.", expression: entryPath(entry.index) });
      const nested = await processBundle(request, entry.resource, entry.source!, depth + 1);
      return { status: 200, resource: responseBundle(entry.resource as unknown as { type: string }, nested) as never };
    }
    if (entry.method === "GET") return await readEntry(request, entry);
    const [response] = await processTransaction(request, [{ ...entry }]);
    return response!;
  } catch (error) {
    if (error instanceof FhirError) return errorResponse(relabel(error, parsed.index));
    throw error;
  }
}

/** Points issues that name no place at the batch entry they belong to. */
function relabel(error: FhirError, index: number): FhirError {
  const issues: Issue[] = error.issues.map((issue) => ({ ...issue, expression: issue.expression ?? entryPath(index) }));
  return new FhirError(error.kind, issues);
}

function responseBundle(request: { type: string }, responses: EntryResponse[]): Bundle {
  return {
    resourceType: "Bundle",
    id: crypto.randomUUID(),
    type: request.type === "transaction" ? "transaction-response" : "batch-response",
    entry: responses.map((response) => {
      const entry: BundleEntry = { response: { status: `${response.status} ${REASONS[response.status] ?? ""}`.trim() } };
      if (response.location !== undefined) entry.response!.location = response.location;
      if (response.etag !== undefined) entry.response!.etag = response.etag;
      if (response.lastModified !== undefined) entry.response!.lastModified = response.lastModified;
      if (response.outcome !== undefined) entry.response!.outcome = response.outcome;
      if (response.resource !== undefined) entry.resource = response.resource as never;
      return entry;
    }),
  };
}
