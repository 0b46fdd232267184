import { STATUS_CODES } from "node:http";
import { type EntryRequest, isObject } from "./entries.ts";

/** Summary column that one entry is counted in. */
export type EntryOutcome = "created" | "updated" | "existing" | "deleted" | "other" | "failed";

/** Maximum length of server diagnostics kept for a report, in characters. */
export const MAX_DIAGNOSTICS_LENGTH = 200;

/** An entry status code with its reason phrase, such as `412 Precondition Failed`. */
export interface EntryStatus {
  code: number;
  text: string;
}

/** Formats an HTTP status code with its standard reason phrase, such as `413 Payload Too Large`. */
export function formatStatus(code: number): string {
  const phrase = STATUS_CODES[code];
  return phrase === undefined ? String(code) : `${code} ${phrase}`;
}

/**
 * Parses `Bundle.entry.response.status`, which starts with the 3-digit HTTP code and may
 * carry the reason phrase (R4 bundle.html, `Bundle.entry.response.status`). A missing
 * phrase is filled in from the standard ones. Returns undefined for anything else.
 */
export function parseEntryStatus(status: unknown): EntryStatus | undefined {
  if (typeof status !== "string") return undefined;

  const match = /^\s*(\d{3})(?:\s+(.*\S))?\s*$/.exec(status);
  if (match === null) return undefined;

  const code = Number(match[1]);
  const phrase = match[2];
  return { code, text: phrase === undefined ? formatStatus(code) : `${code} ${sanitize(phrase)}` };
}

/**
 * Picks the summary column for an entry whose response status is `code`. A 201 is a create.
 * Another 2xx is a delete for DELETE, an update for PUT and PATCH, and for POST a conditional
 * create that matched an existing resource (R4 http.html#ccreate). Any other 2xx or 3xx, such
 * as the result of a GET, counts as `other`, and 4xx and 5xx are failures.
 */
export function classifyEntry(request: EntryRequest, code: number): EntryOutcome {
  if (code >= 400) return "failed";
  if (code === 201) return "created";
  if (code < 200 || code >= 300) return "other";

  switch (request.method) {
    case "DELETE":
      return "deleted";
    case "PUT":
    case "PATCH":
      return "updated";
    case "POST":
      return "existing";
    default:
      return "other";
  }
}

/**
 * Turns an OperationOutcome into one line of text: each issue's `diagnostics` (else
 * `details.text`, else its `code`), prefixed by its first `expression`. A reference to
 * `Bundle.entry[i]` is shown as `entry i (Type)` using the request entries that were sent. The line is
 * stripped of control characters and shortened to `MAX_DIAGNOSTICS_LENGTH`. Returns undefined
 * when `outcome` is not an OperationOutcome with issues.
 */
export function formatOperationOutcome(outcome: unknown, entries: readonly EntryRequest[]): string | undefined {
  if (!isObject(outcome) || outcome["resourceType"] !== "OperationOutcome" || !Array.isArray(outcome["issue"])) return undefined;

  const parts = outcome["issue"].filter(isObject).map((issue) => formatIssue(issue, entries));
  const text = parts.filter((part) => part !== "").join("; ");
  return text === "" ? undefined : shorten(sanitize(text), MAX_DIAGNOSTICS_LENGTH);
}

function formatIssue(issue: Record<string, unknown>, entries: readonly EntryRequest[]): string {
  const details = issue["details"];
  const message =
    typeof issue["diagnostics"] === "string"
      ? issue["diagnostics"]
      : isObject(details) && typeof details["text"] === "string"
        ? details["text"]
        : typeof issue["code"] === "string"
          ? issue["code"]
          : "";

  const expressions = issue["expression"];
  const expression = Array.isArray(expressions) && typeof expressions[0] === "string" ? expressions[0] : undefined;
  if (expression === undefined) return message;
  return `${nameEntries(expression, entries)}: ${message}`;
}

/**
 * Rewrites `Bundle.entry[12]` in a FHIRPath expression as `entry 12 (Observation)`. The
 * number shown is the request's index in its file, which differs from the position when
 * only some entries of a batch were sent again.
 */
function nameEntries(expression: string, entries: readonly EntryRequest[]): string {
  const match = /^Bundle\.entry\[(\d+)\]\.?(.*)$/s.exec(expression);
  if (match === null) return expression;

  const position = Number(match[1]);
  const request = entries[position];
  const name = request === undefined ? `entry ${position}` : `entry ${request.index} (${request.resourceType})`;
  const path = match[2] ?? "";
  return path === "" ? name : `${name} ${path}`;
}

/** Replaces control characters, which could move the cursor or clear the terminal, with spaces. */
function sanitize(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ");
}

/** Cuts `text` to at most `max` characters, ending in `…` when it was cut. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
