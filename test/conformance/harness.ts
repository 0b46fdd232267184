/**
 * Runs a search against the test app and follows every `next` link, so that a conformance case
 * can compare the whole result with the ids that its oracle computed from the fixture files.
 */
import { expect } from "vitest";
import { BASE, type createTestApp, type FhirResult } from "../support/app.ts";

export type Api = Awaited<ReturnType<typeof createTestApp>>;

/** Raw FHIR JSON as read from a fixture file. */
export type Json = any;

/** Pages followed before a search counts as a runaway `next` chain. */
const MAX_PAGES = 200;

/** Every search runs with strict handling, so an unsupported parameter is a 400 and never dropped in silence. */
const STRICT = { headers: { prefer: "handling=strict" } };

export interface SearchRun {
  /** The path of the first request, after placeholders and encoding. */
  path: string;
  /** Every page in order, each with its HTTP status and body. */
  pages: FhirResult[];
  /** `Type/id` of the `match` entries of all pages, in the order the server returned them. */
  matches: string[];
  /** Bodies of the `match` entries, in the same order as `matches`. */
  matchedResources: Json[];
  /** `Type/id` of the `include` entries of all pages. */
  included: string[];
  /** `Bundle.total` of each page, undefined where the page has none. */
  totals: Array<number | undefined>;
}

/**
 * Replaces each `{name}` in a query template by the value in `values` and percent-encodes every
 * parameter name and value, so that `+` in a time zone and spaces reach the server intact. A
 * template that starts with `?` is a search across types, sent as `[base]?params`.
 */
export function buildPath(template: string, values: Readonly<Record<string, string>> = {}): string {
  const filled = template.replace(/\{([A-Za-z0-9-]+)\}/g, (_whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`The query "${template}" names the placeholder {${name}}, which has no value.`);
    return value;
  });
  const question = filled.indexOf("?");
  if (question < 0) return `/${filled}`;
  const parameters = filled
    .slice(question + 1)
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      if (equals < 0) throw new Error(`The parameter "${pair}" in "${template}" has no "=".`);
      return `${encodeURIComponent(pair.slice(0, equals))}=${encodeURIComponent(pair.slice(equals + 1))}`;
    });
  const type = filled.slice(0, question);
  return `${type === "" ? "" : `/${type}`}?${parameters.join("&")}`;
}

/**
 * Runs the search at `path` and follows `next` links until the last page. It stops at the first
 * page that is not 200, which the caller asserts on. A search without `_count` gets `pageSize`,
 * so that larger results span several pages.
 */
export async function searchAll(api: Api, path: string, pageSize: number): Promise<SearchRun> {
  const first = /[?&]_count=/.test(path) ? path : `${path}${path.includes("?") ? "&" : "?"}_count=${pageSize}`;
  const run: SearchRun = { path: first, pages: [], matches: [], matchedResources: [], included: [], totals: [] };

  let next: string | undefined = first;
  while (next !== undefined) {
    if (run.pages.length === MAX_PAGES) throw new Error(`${first} still has a next link after ${MAX_PAGES} pages.`);
    const page = await api.fhir("GET", next, STRICT);
    run.pages.push(page);
    if (page.status !== 200) return run;

    run.totals.push(page.json.total);
    for (const entry of page.json.entry ?? []) {
      const key = `${entry.resource.resourceType}/${entry.resource.id}`;
      if (entry.search?.mode === "match") {
        run.matches.push(key);
        run.matchedResources.push(entry.resource);
      } else if (entry.search?.mode === "include") {
        run.included.push(key);
      }
    }

    const link = (page.json.link ?? []).find((candidate: { relation: string }) => candidate.relation === "next");
    if (link === undefined) next = undefined;
    else if (typeof link.url === "string" && link.url.startsWith(BASE)) next = link.url.slice(BASE.length);
    else throw new Error(`The next link "${String(link.url)}" of ${first} does not start with the base ${BASE}.`);
  }
  return run;
}

/** Asserts that every page of a run returned 200, and names the page and the server's message otherwise. */
export function expectPagesOk(run: SearchRun): void {
  const failed = run.pages.findIndex((page) => page.status !== 200);
  const page = failed < 0 ? undefined : run.pages[failed];
  const message = page === undefined ? "" : `page ${failed + 1} of ${run.path}: ${page.text.slice(0, 600)}`;
  expect(page?.status ?? 200, message).toBe(200);
}

/** Returns the keys that occur more than once, which would mean a page repeated a match. */
export function repeatedKeys(keys: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) repeated.add(key);
    seen.add(key);
  }
  return [...repeated].sort();
}

/** Compares two sets of keys and returns what is missing from `actual` and what it contains beyond `expected`. */
export function compareKeys(actual: Iterable<string>, expected: Iterable<string>, optional: Iterable<string> = []) {
  const actualSet = new Set(actual);
  const expectedSet = new Set(expected);
  const optionalSet = new Set(optional);
  const missing = [...expectedSet].filter((key) => !actualSet.has(key)).sort();
  const unexpected = [...actualSet].filter((key) => !expectedSet.has(key) && !optionalSet.has(key)).sort();
  return { missing, unexpected };
}

/** Runs `task` over `items` with at most `limit` tasks at once and returns the results in input order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const position = next++;
      results[position] = await task(items[position]!, position);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
