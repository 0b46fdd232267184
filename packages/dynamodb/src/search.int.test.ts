import type { Resource } from "fhir/r4";
import { beforeAll, describe, expect, it } from "vitest";
import { extractSearchValues, matchesQuery, parseTypeSearch, type SearchQuery } from "@flint/core";
import type { FhirRepository } from "@flint/repository";
import { createTestRepository } from "../../../test/setup/dynamodb.ts";

/** Parses a search as the API does, under strict handling. */
function query(type: string, text: string, extra: Partial<SearchQuery> = {}): SearchQuery {
  const parsed = parseTypeSearch(type, new URLSearchParams(text), "strict", "http://flint.test/fhir", { results: true });
  return { ...parsed.query, ...extra };
}

async function allIds(repository: FhirRepository, search: SearchQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await repository.search({ ...search, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.entries.map((entry) => entry.id));
    cursor = page.next;
  } while (cursor !== undefined);
  return ids;
}

/** Returns a pseudo-random sequence, fixed so that failures repeat. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("search planner on DynamoDB Local", () => {
  let repository: FhirRepository;
  const stored: Array<Resource & { id: string }> = [];

  beforeAll(async () => {
    // A small page budget: a query that fell back to the type listing would read more resources
    // than this before reaching the one match with the highest id, and be refused.
    ({ repository } = await createTestRepository({ searchLimits: { resourcesPerPage: 20 } }));
    const next = random(7);
    const dates = ["2019", "2020-02", "2020-02-29", "2020-02-29T10:00:00Z", "2020-02-29T23:30:00-05:00", "2021-06-15T08:00:00.123+02:00", "1999-12-31"];
    const units = [
      { value: 72.5, code: "kg" },
      { value: 72500, code: "g" },
      { value: 5.4, code: "mg" },
      { value: 0.0054, code: "g" },
      { value: 120, code: "mm[Hg]" },
    ];
    for (let index = 0; index < 60; index++) {
      const id = `obs-${String(index).padStart(3, "0")}`;
      const unit = units[Math.floor(next() * units.length)]!;
      const observation: Record<string, unknown> = {
        resourceType: "Observation",
        id,
        status: index % 3 === 0 ? "final" : "amended",
        code: { coding: [{ system: "http://loinc.org", code: `code-${index % 4}` }] },
        valueQuantity: { value: unit.value, system: "http://unitsofmeasure.org", code: unit.code, unit: unit.code },
      };
      if (index % 5 === 0) observation.effectivePeriod = { start: dates[Math.floor(next() * dates.length)]! };
      else if (index % 7 === 0) observation.effectivePeriod = { start: "2020-01-01", end: "2020-12-31" };
      else observation.effectiveDateTime = dates[Math.floor(next() * dates.length)];
      stored.push((await repository.create(observation as unknown as Resource & { id: string })).resource as Resource & { id: string });
    }
    const risk = (id: string, probability: number) => ({ resourceType: "RiskAssessment", id, status: "final", subject: { reference: "Patient/p" }, prediction: [{ probabilityDecimal: probability }] });
    for (const [index, probability] of [0.1, 0.25, 0.5, 0.75, 0.9, 100].entries()) {
      stored.push((await repository.create(risk(`risk-${index}`, probability) as Resource & { id: string })).resource as Resource & { id: string });
    }
  }, 60_000);

  /** Lists the ids that the core matcher accepts among every stored resource of the type. */
  function expected(type: string, search: SearchQuery): string[] {
    return stored
      .filter((resource) => resource.resourceType === type && matchesQuery(resource, search.clauses, extractSearchValues(resource)))
      .map((resource) => resource.id)
      .sort();
  }

  const dateQueries = ["eq2020-02-29", "ne2020", "gt2020-02-29", "ge2020-02-29", "lt2020-02-29T12:00", "le2020-02", "sa2020-03", "eb2020", "ap2020-02-29", "ge2020-06-01", "2020"];
  for (const value of dateQueries) {
    it(`date=${value} agrees with the matcher over every resource`, async () => {
      const search = query("Observation", `date=${value}`, { count: 7 });
      expect((await allIds(repository, search)).sort()).toEqual(expected("Observation", search));
    });
  }

  const quantityQueries = ["gt70|http://unitsofmeasure.org|kg", "72500|http://unitsofmeasure.org|g", "le5.4|http://unitsofmeasure.org|mg", "ap5|http://unitsofmeasure.org|mg", "lt1|http://unitsofmeasure.org|mm[Hg]", "ne72.5|http://unitsofmeasure.org|kg", "gt100"];
  for (const value of quantityQueries) {
    it(`value-quantity=${value} agrees with the matcher over every resource`, async () => {
      const search = query("Observation", `value-quantity=${encodeURIComponent(value)}`, { count: 7 });
      expect((await allIds(repository, search)).sort()).toEqual(expected("Observation", search));
    });
  }

  for (const value of ["0.5", "gt0.5", "le0.25", "ap100", "sa0.75", "eb0.1", "ne0.9"]) {
    it(`probability=${value} agrees with the matcher over every resource`, async () => {
      const search = query("RiskAssessment", `probability=${value}`, { count: 2 });
      expect((await allIds(repository, search)).sort()).toEqual(expected("RiskAssessment", search));
    });
  }

  it("drives a date search from the date index, reading few resources", async () => {
    // Only obs-999, the highest id, has this date; through the type listing the page budget runs out first.
    stored.push((await repository.create({ resourceType: "Observation", id: "obs-999", status: "final", code: { text: "x" }, effectiveDateTime: "1850-01-01" } as Resource & { id: string })).resource as Resource & { id: string });
    expect(await allIds(repository, query("Observation", "date=1850"))).toEqual(["obs-999"]);
    expect(await allIds(repository, query("Observation", "date=lt1900-01-01&status=final"))).toEqual(["obs-999"]);
  });

  it("refuses a search that no index narrows once the page budget finds nothing", async () => {
    const search = query("Observation", "code:text=nothing-has-this");
    await expect(repository.search(search)).rejects.toMatchObject({ kind: "too-costly", message: expect.stringContaining("code:text") });
  });

  it("returns a short page at the budget", async () => {
    const search = query("Observation", "value-quantity=gt0", { count: 100 });
    const page = await repository.search(search);
    expect(page.entries.length).toBeGreaterThan(0);
    expect(page.entries.length).toBeLessThan(61);
    expect(page.next).toBeDefined();
  });

  it("pages back with previous links over the same resources in the same order", async () => {
    const search = query("Observation", "status=amended", { count: 6 });
    const forward: string[][] = [];
    const cursors: Array<string | undefined> = [undefined];
    let cursor: string | undefined;
    do {
      const page = await repository.search({ ...search, ...(cursor === undefined ? {} : { cursor }) });
      forward.push(page.entries.map((entry) => entry.id));
      cursor = page.next;
      cursors.push(cursor);
    } while (cursor !== undefined);
    expect(forward.flat()).toEqual(expected("Observation", search));

    // From the last page, follow previous links to the first.
    let page = await repository.search({ ...search, cursor: cursors.at(-2)! });
    const backward: string[][] = [page.entries.map((entry) => entry.id)];
    while (page.previous !== undefined) {
      page = await repository.search({ ...search, cursor: page.previous });
      if (page.entries.length > 0) backward.unshift(page.entries.map((entry) => entry.id));
    }
    expect(backward.flat()).toEqual(forward.flat());
  });
});
