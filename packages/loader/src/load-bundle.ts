import { readFile } from "node:fs/promises";
import { type HttpDependencies, postBundle, type PostResult, type RetryEvent } from "./client.ts";
import { type EntryRequest, isObject } from "./entries.ts";
import { formatBatch, sliceEntryTexts } from "./entry-text.ts";
import { type BundleFile, type BundleType, describeFileError, parseBundle, type ParsedBundle } from "./files.ts";
import { classifyEntry, type EntryOutcome, formatOperationOutcome, formatStatus, parseEntryStatus } from "./outcome.ts";
import { formatQuantity } from "./format.ts";
import { backoffDelay, MAX_ATTEMPTS } from "./retry.ts";

/** The result of one request entry, in the summary column it belongs to. */
export interface EntryResult {
  index: number;
  resourceType: string;
  outcome: EntryOutcome;
  /** For a failed entry: the status it got, such as `412 Precondition Failed`. */
  status?: string;
  /** For a failed entry: the server's diagnostics, or why no status is known. */
  message?: string;
}

/**
 * Why a whole bundle failed:
 * - `rejected`: the server responded with an error status, so nothing in it was applied,
 *   because a transaction is all or nothing and a batch rejected as a whole was not processed;
 * - `unknown`: the request may have reached the server but no usable response came back;
 * - `not-sent`: no connection could be made;
 * - `unreadable`: the file could not be read or parsed when it was about to be sent.
 */
export interface BundleFailure {
  kind: "rejected" | "unknown" | "not-sent" | "unreadable";
  /** HTTP status of a rejected bundle, such as `412 Precondition Failed`. */
  status?: string;
  message: string;
}

/** The outcome of one bundle file: one result per request entry, and the failure of the whole if any. */
export interface BundleResult {
  path: string;
  type: BundleType;
  entries: EntryResult[];
  failure?: BundleFailure;
}

/** Settings and services that `loadBundle` needs besides the file. */
export interface LoadContext {
  baseUrl: string;
  timeoutMs: number;
  http: HttpDependencies;
  onRetry?: (event: RetryEvent) => void;
  /** Called before entries of a batch that got 503 or 429 are sent again, with their number. */
  onResend?: (entryCount: number) => void;
}

/** Words that start the message of an entry whose re-send failed as a whole. */
const FAILURE_PREFIXES: Record<BundleFailure["kind"], string> = {
  rejected: "",
  unknown: "outcome unknown: ",
  "not-sent": "not sent: ",
  unreadable: "",
};

/** Entry status codes that mean the server did not process the entry, so it can be sent again. */
const RETRYABLE_ENTRY_CODES = new Set([429, 503]);

/**
 * Reads a bundle file, posts it unchanged and interprets the response (R4 http.html#transaction).
 * For a batch whose response gives some entries 503 or 429, sends only those entries again
 * as a new batch, up to `MAX_ATTEMPTS` rounds in all, and merges their results into the first.
 * Server and file problems are returned as a failure in the result, not thrown.
 */
export async function loadBundle(file: BundleFile, context: LoadContext): Promise<BundleResult> {
  let bytes: Buffer<ArrayBuffer>;
  let text: string;
  let bundle: ParsedBundle;
  try {
    bytes = await readFile(file.path);
    text = bytes.toString("utf8");
    bundle = parseBundle(text);
  } catch (error) {
    return { path: file.path, type: file.type, entries: [], failure: { kind: "unreadable", message: describeFileError(error) } };
  }

  const requests = bundle.entries;
  const posted = await post(bytes, context);
  const read = readResponse(posted, requests);
  if ("failure" in read) {
    return { path: file.path, type: bundle.type, entries: requests.map((request) => failedEntry(request)), failure: read.failure };
  }

  const entries = read.entries;
  if (bundle.type === "batch") await resendUnprocessed(text, requests, entries, context);
  return { path: file.path, type: bundle.type, entries };
}

function post(body: Uint8Array<ArrayBuffer> | string, context: LoadContext): Promise<PostResult> {
  return postBundle(body, { url: context.baseUrl, timeoutMs: context.timeoutMs, onRetry: context.onRetry }, context.http);
}

/**
 * Re-sends, as new batches, the entries whose response status is 503 or 429, and writes
 * their new results into `entries`. Batch entries do not depend on each other
 * (R4 http.html#transaction), so a subset can be sent alone.
 */
async function resendUnprocessed(bundleText: string, requests: readonly EntryRequest[], entries: EntryResult[], context: LoadContext): Promise<void> {
  let pending = unprocessedIndexes(entries);
  if (pending.length === 0) return;

  const entryTexts = sliceEntryTexts(bundleText);
  for (let round = 2; round <= MAX_ATTEMPTS && pending.length > 0; round++) {
    await context.http.sleep(backoffDelay(round - 1, context.http.random));

    const subset = pending.map((index) => requests[index]!);
    context.onResend?.(subset.length);
    const posted = await post(formatBatch(pending.map((index) => entryTexts[index]!)), context);
    const read = readResponse(posted, subset);
    if ("failure" in read) {
      const message = `${FAILURE_PREFIXES[read.failure.kind]}${read.failure.message}`;
      for (const request of subset) entries[request.index] = failedEntry(request, read.failure.status, message);
      return;
    }

    for (const result of read.entries) entries[result.index] = result;
    pending = unprocessedIndexes(read.entries);
  }

  for (const index of pending) {
    const entry = entries[index]!;
    const giveUp = `still unavailable after ${MAX_ATTEMPTS} attempts`;
    entries[index] = { ...entry, message: entry.message === undefined ? giveUp : `${giveUp}: ${entry.message}` };
  }
}

function unprocessedIndexes(entries: readonly EntryResult[]): number[] {
  return entries.filter((entry) => entry.outcome === "failed" && isRetryableStatus(entry.status)).map((entry) => entry.index);
}

function isRetryableStatus(status: string | undefined): boolean {
  return status !== undefined && RETRYABLE_ENTRY_CODES.has(Number(status.slice(0, 3)));
}

/**
 * Interprets the result of a post of `requests`. A 200 must carry a Bundle with one entry
 * per request, in order: entry `i` of the response is the result of request `i`.
 */
function readResponse(posted: PostResult, requests: readonly EntryRequest[]): { entries: EntryResult[] } | { failure: BundleFailure } {
  if (posted.kind !== "response") {
    const attempts = posted.attempts > 1 ? ` (${posted.attempts} attempts)` : "";
    return { failure: { kind: posted.kind, message: `${posted.reason}${attempts}` } };
  }

  if (posted.status !== 200) {
    const diagnostics = formatOperationOutcome(posted.body, requests);
    const attempts = posted.attempts > 1 ? ` after ${posted.attempts} attempts` : "";
    const message = `${diagnostics ?? "no OperationOutcome in the response"}${attempts}`;
    // 502 and 504 come from a proxy in front of the server, which may still commit the bundle.
    const kind = posted.status === 502 || posted.status === 504 ? "unknown" : "rejected";
    return { failure: { kind, status: formatStatus(posted.status), message } };
  }

  const body = posted.body;
  const responseEntries = isObject(body) && body["resourceType"] === "Bundle" ? body["entry"] : undefined;
  if (!Array.isArray(responseEntries) || responseEntries.length !== requests.length) {
    const found = Array.isArray(responseEntries) ? `a Bundle of ${formatQuantity(responseEntries.length, "entry", "entries")}` : "no Bundle";
    const expected = formatQuantity(requests.length, "request entry", "request entries");
    return { failure: { kind: "unknown", message: `the server responded 200 OK with ${found} for ${expected}` } };
  }

  return { entries: requests.map((request, position) => readEntry(request, responseEntries[position])) };
}

function readEntry(request: EntryRequest, responseEntry: unknown): EntryResult {
  const response = isObject(responseEntry) ? responseEntry["response"] : undefined;
  const status = isObject(response) ? parseEntryStatus(response["status"]) : undefined;
  if (status === undefined) return failedEntry(request, undefined, "the response entry has no valid response.status");

  const outcome = classifyEntry(request, status.code);
  if (outcome !== "failed") return { index: request.index, resourceType: request.resourceType, outcome };

  const diagnostics = isObject(response) ? formatOperationOutcome(response["outcome"], []) : undefined;
  return failedEntry(request, status.text, diagnostics);
}

function failedEntry(request: EntryRequest, status?: string, message?: string): EntryResult {
  const result: EntryResult = { index: request.index, resourceType: request.resourceType, outcome: "failed" };
  if (status !== undefined) result.status = status;
  if (message !== undefined) result.message = message;
  return result;
}
