import { expect } from "vitest";
import { createTestApp, type FhirResult } from "../support/app.ts";

/** Request body limit of the bad-input apps: small enough to send a body just past it quickly. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type TestApi = Awaited<ReturnType<typeof createTestApp>>;

/** One hostile request and the response the server must return. */
export interface HostileCase {
  name: string;
  method: string;
  /** Path below the base URL; `{id}` is replaced by the id of the seeded Patient. */
  path: string;
  headers?: Record<string, string>;
  /** JSON-encoded and sent as `application/fhir+json` unless `headers` set another type. */
  body?: unknown;
  /** Sent byte for byte instead of `body`. */
  raw?: string | Uint8Array<ArrayBuffer>;
  status: number;
  /** Pattern that an issue's diagnostics must match, stating the problem. */
  problem: RegExp;
  /**
   * Where the problem is: an issue's `expression` equal to this string, or, for a RegExp, the
   * same issue's diagnostics matching it (line and column, header or parameter name).
   */
  at: string | RegExp;
}

/** Creates an app on the run's store with one Patient that the follow-up requests read. */
export async function startApp(): Promise<{ api: TestApi; seedId: string }> {
  const api = await createTestApp({ maxBodyBytes: MAX_BODY_BYTES });
  const seed = await api.createResource({ resourceType: "Patient", name: [{ family: "Seed" }] });
  return { api, seedId: seed.id };
}

/**
 * Sends a hostile request and checks the four promises of the bad-input suite: the expected 4xx,
 * an OperationOutcome issue that names the problem and its place, no new version anywhere, and
 * a normal read that still succeeds afterwards.
 */
export async function expectRejected(api: TestApi, seedId: string, testCase: HostileCase): Promise<FhirResult> {
  await settleClock();
  const since = new Date().toISOString();
  const path = testCase.path.replaceAll("{id}", seedId);
  const result = await api.fhir(testCase.method, path, {
    ...(testCase.headers === undefined ? {} : { headers: testCase.headers }),
    ...(testCase.raw === undefined ? {} : { raw: testCase.raw }),
    ...(testCase.body === undefined ? {} : { body: testCase.body }),
  });

  expect(result.status, result.text.slice(0, 800)).toBe(testCase.status);
  expect(result.json?.resourceType, "error body").toBe("OperationOutcome");
  expectIssue(result.json, testCase.problem, testCase.at);
  await expectNothingWritten(api, since);
  await expectStillServing(api, seedId);
  return result;
}

/** Checks that one issue of an OperationOutcome states `problem` and is located by `at`. */
export function expectIssue(outcome: any, problem: RegExp, at: string | RegExp): void {
  const issues: any[] = outcome?.issue ?? [];
  const located = issues.filter((issue) => {
    const diagnostics = String(issue.diagnostics ?? "");
    if (!problem.test(diagnostics)) return false;
    if (typeof at === "string") return [...(issue.expression ?? []), ...(issue.location ?? [])].includes(at);
    return at.test(diagnostics);
  });
  expect(located.length, `no issue says ${problem} at ${at}: ${JSON.stringify(issues).slice(0, 800)}`).toBeGreaterThan(0);
}

/** Checks that system history has no version since `since`. */
export async function expectNothingWritten(api: TestApi, since: string): Promise<void> {
  const history = await api.fhir("GET", `/_history?_since=${encodeURIComponent(since)}`);
  expect(history.status, history.text.slice(0, 500)).toBe(200);
  const written = (history.json.entry ?? []).map((entry: any) => entry.fullUrl ?? entry.request?.url);
  expect(written, "versions written by a rejected request").toEqual([]);
}

/** Checks that a plain read still succeeds. */
export async function expectStillServing(api: TestApi, seedId: string): Promise<void> {
  const read = await api.fhir("GET", `/Patient/${seedId}`);
  expect(read.status, read.text.slice(0, 500)).toBe(200);
  expect(read.json.id).toBe(seedId);
}

/**
 * Waits until the millisecond clock has moved on, so that `_since` taken now excludes versions
 * written by the previous case's follow-up requests.
 */
export async function settleClock(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2));
}

/** Encodes text as UTF-8 bytes with `bytes` spliced in at the first `@@` marker. */
export function withBytes(text: string, bytes: number[]): Uint8Array<ArrayBuffer> {
  const [before = "", after = ""] = text.split("@@");
  const encoder = new TextEncoder();
  return new Uint8Array([...encoder.encode(before), ...bytes, ...encoder.encode(after)]);
}
