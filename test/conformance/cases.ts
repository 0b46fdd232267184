/**
 * Table-driven conformance cases: each case is a query, the ids an oracle computed from the
 * fixture files, and optionally the includes, order and total it must come back with. Each case
 * becomes one `it`, named by its query.
 */
import { expect, it } from "vitest";
import { buildPath, compareKeys, expectPagesOk, repeatedKeys, searchAll, type Api, type Json } from "./harness.ts";
import { compareForSort, type SortKey } from "./oracle.ts";

export interface SearchCase {
  /** Query after the base, such as `Observation?code=http://loinc.org|8302-2`, with `{name}` placeholders for server ids. */
  query: string;
  /** What the case checks, put after the query in the test name. */
  title: string;
  /** `Type/id` of every resource the search must match. */
  expected: () => Iterable<string>;
  /** `Type/id` of resources the server may match or leave out, where R4 leaves the choice to the server (`ap`). */
  optional?: () => Iterable<string>;
  /** `Type/id` of every resource that `_include` and `_revinclude` must add, over all pages. */
  included?: () => Iterable<string>;
  /** The order the matches must follow, key by key, as in the query's `_sort`. */
  sort?: SortKey[];
  /** Checks that every page carries `Bundle.total` with the number of matches. */
  total?: boolean;
  /** Set on the few cases whose expected result is deliberately empty. */
  empty?: boolean;
  /** Page size of the first request when the query has no `_count`. */
  pageSize?: number;
  /** Reason the case is skipped: a feature Flint rejects with 400 under strict handling. */
  unsupported?: string;
}

export interface CaseContext {
  api: () => Api;
  /** Values of the `{name}` placeholders, known once the data is loaded. */
  placeholders: () => Readonly<Record<string, string>>;
  /** The fixture resource stored under a server `Type/id`. */
  resourceOf: (key: string) => Json | undefined;
  /** Text that names a server `Type/id` in a failure message, such as its fixture id. */
  label: (key: string) => string;
  /** Page size for queries without `_count`. */
  pageSize: number;
}

/** Registers one `it` per case. Unsupported cases are registered as skipped, with the reason in the name. */
export function registerCases(cases: readonly SearchCase[], context: CaseContext): void {
  const names = new Set<string>();
  for (const searchCase of cases) {
    const name = `${searchCase.query} ${searchCase.title}`;
    if (names.has(name)) throw new Error(`Two conformance cases are named "${name}".`);
    names.add(name);

    if (searchCase.unsupported !== undefined) {
      it.skip(`${name} (unsupported: ${searchCase.unsupported})`, () => {});
      continue;
    }
    it(name, () => runCase(searchCase, context));
  }
}

async function runCase(searchCase: SearchCase, context: CaseContext): Promise<void> {
  const label = (keys: string[]) => keys.map(context.label);
  const expected = [...new Set(searchCase.expected())];
  if (searchCase.empty === true) expect(expected, "the oracle was meant to find no match").toEqual([]);
  else expect(expected.length, "the oracle finds no match, so the case tests little").toBeGreaterThan(0);

  const path = buildPath(searchCase.query, context.placeholders());
  const run = await searchAll(context.api(), path, searchCase.pageSize ?? context.pageSize);
  expectPagesOk(run);

  expect(label(repeatedKeys(run.matches)), `matches repeated across the pages of ${run.path}`).toEqual([]);
  const matches = compareKeys(run.matches, expected, searchCase.optional?.() ?? []);
  expect({ missing: label(matches.missing), unexpected: label(matches.unexpected) }, `matches of ${run.path}`).toEqual({
    missing: [],
    unexpected: [],
  });

  if (searchCase.included !== undefined) {
    const included = compareKeys(run.included, searchCase.included());
    expect({ missing: label(included.missing), unexpected: label(included.unexpected) }, `includes of ${run.path}`).toEqual({
      missing: [],
      unexpected: [],
    });
  }

  if (searchCase.sort !== undefined) {
    expect(findSortViolation(run.matches, searchCase.sort, context), `order of ${run.path}`).toBeUndefined();
  }

  if (searchCase.total === true) {
    expect(run.totals, `Bundle.total on each page of ${run.path}`).toEqual(run.pages.map(() => expected.length));
  }
}

/** Describes the first neighbouring pair of matches that the sort keys put the other way round. */
function findSortViolation(matches: readonly string[], keys: readonly SortKey[], context: CaseContext): string | undefined {
  for (let index = 1; index < matches.length; index++) {
    const before = matches[index - 1]!;
    const after = matches[index]!;
    const order = compareForSort(context.resourceOf(before), context.resourceOf(after), keys);
    if (order > 0) {
      const values = (key: string) => keys.map((sortKey) => `${sortKey.name}=${JSON.stringify(sortKey.values(context.resourceOf(key)))}`).join(" ");
      return `position ${index - 1}: ${context.label(before)} (${values(before)}) comes before ${context.label(after)} (${values(after)})`;
    }
  }
  return undefined;
}
