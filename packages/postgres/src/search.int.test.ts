import type { Resource } from "fhir/r4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareForSort, extractSearchValues, matchesQuery, parseSystemSearch, parseTypeSearch, type SearchQuery } from "@flint/core";
import type { FhirRepository } from "@flint/repository";
import { openPostgres, type SqlClient } from "./client.ts";
import { createPostgresRepository, PostgresRepository } from "./repository.ts";
import { closeFilePglite, filePglite, freshSchema, NO_SERVER, serverUrl } from "./test-support.ts";

const BASE = "http://flint.test/fhir";

/** Parses a type-level search as the API does, under strict handling. */
function query(type: string, text: string, extra: Partial<SearchQuery> = {}): SearchQuery {
  return { ...parseTypeSearch(type, new URLSearchParams(text), "strict", BASE, { results: true }).query, ...extra };
}

async function allIds(repository: FhirRepository, search: SearchQuery): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await repository.search({ ...search, ...(cursor === undefined ? {} : { cursor }) });
    ids.push(...page.entries.map((entry) => `${entry.resourceType}/${entry.id}`));
    cursor = page.next;
  } while (cursor !== undefined);
  return ids;
}

/** Returns a pseudo-random sequence with a fixed seed, so failures repeat. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

type Stored = Resource & { id: string };

function observations(): Stored[] {
  const next = random(11);
  const dates = ["2019", "2020-02", "2020-02-29", "2020-02-29T10:00:00Z", "2020-02-29T23:30:00-05:00", "2021-06-15T08:00:00.123+02:00", "1999-12-31"];
  const units = [
    { value: 72.5, code: "kg" },
    { value: 72500, code: "g" },
    { value: 5.4, code: "mg" },
    { value: 0.0054, code: "g" },
    { value: 120, code: "mm[Hg]" },
  ];
  return Array.from({ length: 60 }, (_, index) => {
    const unit = units[Math.floor(next() * units.length)]!;
    const observation: Record<string, unknown> = {
      resourceType: "Observation",
      id: `obs-${String(index).padStart(3, "0")}`,
      status: index % 3 === 0 ? "final" : "amended",
      code: { coding: [{ system: "http://loinc.org", code: `code-${index % 4}`, display: `Measure ${index % 4}` }], text: index % 2 === 0 ? "Body weight" : "Blood pressure" },
      subject: { reference: index % 10 === 9 ? "http://other.example/fhir/Patient/remote" : `Patient/pat-${String(index % 4).padStart(2, "0")}` },
      valueQuantity: { value: unit.value, system: "http://unitsofmeasure.org", code: unit.code, unit: unit.code },
    };
    if (index % 5 === 0) observation.effectivePeriod = { start: dates[Math.floor(next() * dates.length)]! };
    else if (index % 7 === 0) observation.effectivePeriod = { start: "2020-01-01", end: "2020-12-31" };
    else observation.effectiveDateTime = dates[Math.floor(next() * dates.length)];
    if (index % 6 === 0) observation.identifier = [{ system: "urn:example:lab", value: `L${index}` }];
    return observation as unknown as Stored;
  });
}

function patients(): Stored[] {
  const families = ["Smith", "Smythe", "Müller", "MULLER", "Ørsted", "O'Brien", "100%_sure", "Chalmers", "x".repeat(300) + "tail", "Smith-Jones"];
  return families.map((family, index) => {
    const patient: Record<string, unknown> = {
      resourceType: "Patient",
      id: `pat-${String(index).padStart(2, "0")}`,
      active: index % 2 === 0,
      gender: index % 3 === 0 ? "female" : "male",
      birthDate: `19${50 + index * 4}-0${(index % 9) + 1}-15`,
      name: [{ family, given: [`Given${index}`] }],
      identifier: [{ system: "urn:example:mrn", value: `MRN-${index}` }, { value: `bare-${index}` }],
      address: [{ city: index % 2 === 0 ? "Köln" : "Koblenz" }],
      telecom: [{ system: "email", value: `p${index}@example.org` }],
      generalPractitioner: [{ reference: `Practitioner/dr-${index % 3}` }],
    };
    return patient as unknown as Stored;
  });
}

function valueSets(): Stored[] {
  const urls = ["http://example.org/fhir/ValueSet/a", "http://example.org/fhir/ValueSet/a/b", "http://example.org/fhir/ValueSet/ab", "urn:oid:1.2.3", "http://other.org/vs"];
  return urls.map((url, index) => ({ resourceType: "ValueSet", id: `vs-${index}`, status: "active", url }) as Stored);
}

function risks(): Stored[] {
  return [0.1, 0.25, 0.5, 0.75, 0.9, 100].map(
    (probability, index) =>
      ({ resourceType: "RiskAssessment", id: `risk-${index}`, status: "final", subject: { reference: "Patient/pat-01" }, prediction: [{ probabilityDecimal: probability }] }) as Stored,
  );
}

afterAll(closeFilePglite);

describeSearch("PGlite", filePglite);

const url = serverUrl();
if (url === "") {
  describe.skip(`search on PostgreSQL (${NO_SERVER})`, () => {
    it("runs the search tests on a PostgreSQL server", () => undefined);
  });
} else {
  const server = openPostgres(url, { max: 2 });
  afterAll(() => server.close());
  describeSearch("PostgreSQL", async () => server);
}

function describeSearch(backend: string, open: () => Promise<SqlClient>): void {
  describe(`search on ${backend}`, () => {
    let repository: PostgresRepository;
    /** The same schema with a budget of one resource per page: a clause that no index serves would be rejected. */
    let strict: PostgresRepository;
    const stored: Stored[] = [];

    beforeAll(async () => {
      const client = await open();
      const schema = freshSchema("search");
      repository = await createPostgresRepository({ client, schema, searchLimits: { resourcesPerPage: 20 } });
      strict = new PostgresRepository({ client, schema, searchLimits: { resourcesPerPage: 1 } });
      const resources = [...observations(), ...patients(), ...valueSets(), ...risks()];
      const results = await repository.transaction(resources.map((resource) => ({ kind: "create", resourceType: resource.resourceType, id: resource.id, resource, method: "POST" })));
      for (const result of results) stored.push(result.version!.resource as Stored);
    }, 60_000);


    /** Lists the resources that the core matcher accepts among every stored resource of the searched types, in (type, id) order. */
    function expected(search: SearchQuery): string[] {
      return stored
        .filter((resource) => search.resourceTypes.includes(resource.resourceType) && matchesQuery(resource, search.clauses, extractSearchValues(resource)))
        .map((resource) => `${resource.resourceType}/${resource.id}`)
        .sort();
    }

    const cases: Array<[type: string, text: string]> = [
      ["Observation", "status=final"],
      ["Observation", "status=final,amended"],
      ["Observation", "code=http://loinc.org|code-1"],
      ["Observation", "code=code-2"],
      ["Observation", "code=http://loinc.org|"],
      ["Observation", "code=|code-2"],
      ["Observation", "code:text=body"],
      ["Observation", "code:text=measure%201"],
      ["Observation", "status:not=final"],
      ["Observation", "identifier=urn:example:lab|L12"],
      ["Patient", "gender=female"],
      ["Patient", "active=true"],
      ["Patient", "identifier=bare-3"],
      ["Patient", "identifier=|bare-3"],
      ["Patient", "identifier=urn:example:mrn|MRN-4"],
      ["Patient", "email=p5@example.org"],
      ["Patient", "family=smi"],
      ["Patient", "family=Smith"],
      ["Patient", "family:exact=Smith"],
      ["Patient", "family:exact=smith"],
      ["Patient", "family:contains=yth"],
      ["Patient", "family=muller"],
      ["Patient", "family=ØR"],
      ["Patient", "family=100%25_"],
      ["Patient", `family=${"x".repeat(280)}`],
      ["Patient", `family=${"x".repeat(300)}tail`],
      ["Patient", "address-city=koln"],
      ["Patient", "name=given1"],
      ["Patient", "birthdate=ge1970&birthdate=lt1980"],
      ["Patient", "general-practitioner=Practitioner/dr-1"],
      ["Patient", "general-practitioner:Practitioner=dr-2"],
      ["Patient", "general-practitioner=dr-0"],
      ["Observation", "subject=Patient/pat-01"],
      ["Observation", "subject=http://other.example/fhir/Patient/remote"],
      ["Observation", `subject=${BASE}/Patient/pat-02`],
      ["Observation", "subject=Patient/pat-01&status=final"],
      ["Observation", "_id=obs-001,obs-059,obs-999"],
      ["Observation", "_lastUpdated=gt2000-01-01"],
      ["ValueSet", "url=http://example.org/fhir/ValueSet/a"],
      ["ValueSet", "url=urn:oid:1.2.3"],
      ["ValueSet", "url:below=http://example.org/fhir/ValueSet/a"],
      ["ValueSet", "url:above=http://example.org/fhir/ValueSet/a/b/c"],
      ["Observation", "code-value-quantity=http://loinc.org|code-1$gt70|http://unitsofmeasure.org|kg"],
      ...["eq2020-02-29", "ne2020", "gt2020-02-29", "ge2020-02-29", "lt2020-02-29T12:00", "le2020-02", "sa2020-03", "eb2020", "ap2020-02-29", "ge2020-06-01", "2020"].map(
        (value): [string, string] => ["Observation", `date=${value}`],
      ),
      ...["gt70|http://unitsofmeasure.org|kg", "72500|http://unitsofmeasure.org|g", "le5.4|http://unitsofmeasure.org|mg", "ap5|http://unitsofmeasure.org|mg", "lt1|http://unitsofmeasure.org|mm[Hg]", "ne72.5|http://unitsofmeasure.org|kg", "gt100", "5.4||mg"].map(
        (value): [string, string] => ["Observation", `value-quantity=${encodeURIComponent(value)}`],
      ),
      ...["0.5", "gt0.5", "le0.25", "ap100", "sa0.75", "eb0.1", "ne0.9"].map((value): [string, string] => ["RiskAssessment", `probability=${value}`]),
    ];

    for (const [type, text] of cases) {
      it(`${type}?${text} agrees with the matcher`, async () => {
        const search = query(type, text, { count: 7 });
        expect((await allIds(repository, search)).sort()).toEqual(expected(search));
      });
    }

    /** Searches whose one match has the highest id of its type: with a budget of one resource, only an index finds it. */
    const served: Array<[label: string, type: string, text: string, match: string, create: Stored]> = [
      ["token code", "Observation", "code=http://loinc.org|needle", "obs-zz1", { resourceType: "Observation", id: "obs-zz1", status: "final", code: { coding: [{ system: "http://loinc.org", code: "needle" }] } } as Stored],
      ["token system", "Observation", "category=urn:needle|", "obs-zz2", { resourceType: "Observation", id: "obs-zz2", status: "final", code: { text: "x" }, category: [{ coding: [{ system: "urn:needle", code: "c" }] }] } as Stored],
      ["token text", "Observation", "code:text=needle%20text", "obs-zz3", { resourceType: "Observation", id: "obs-zz3", status: "final", code: { text: "Needle text here" } } as Stored],
      ["string prefix", "Patient", "family=needlef", "pat-zz1", { resourceType: "Patient", id: "pat-zz1", name: [{ family: "Needleford" }] } as Stored],
      ["string exact", "Patient", "family:exact=Needlex", "pat-zz2", { resourceType: "Patient", id: "pat-zz2", name: [{ family: "Needlex" }] } as Stored],
      ["date", "Patient", "birthdate=1850", "pat-zz3", { resourceType: "Patient", id: "pat-zz3", birthDate: "1850-03-01" } as Stored],
      ["reference", "Patient", "general-practitioner=Practitioner/needle", "pat-zz4", { resourceType: "Patient", id: "pat-zz4", generalPractitioner: [{ reference: "Practitioner/needle" }] } as Stored],
      ["reference url", "Patient", "general-practitioner=http://far.example/Practitioner/n", "pat-zz5", { resourceType: "Patient", id: "pat-zz5", generalPractitioner: [{ reference: "http://far.example/Practitioner/n" }] } as Stored],
      ["uri", "ValueSet", "url=http://needle.example/vs", "vs-zz1", { resourceType: "ValueSet", id: "vs-zz1", status: "draft", url: "http://needle.example/vs" } as Stored],
      ["number", "RiskAssessment", "probability=gt500", "risk-zz1", { resourceType: "RiskAssessment", id: "risk-zz1", status: "final", subject: { reference: "Patient/p" }, prediction: [{ probabilityDecimal: 999 }] } as Stored],
      ["quantity canonical", "Observation", "value-quantity=ge9|http://unitsofmeasure.org|t", "obs-zz4", { resourceType: "Observation", id: "obs-zz4", status: "final", code: { text: "x" }, valueQuantity: { value: 9500, system: "http://unitsofmeasure.org", code: "kg" } } as Stored],
      ["quantity unit", "Observation", "value-quantity=3|urn:units|bag", "obs-zz5", { resourceType: "Observation", id: "obs-zz5", status: "final", code: { text: "x" }, valueQuantity: { value: 3, system: "urn:units", code: "bag" } } as Stored],
      ["quantity number", "Observation", "value-quantity=gt1000000", "obs-zz6", { resourceType: "Observation", id: "obs-zz6", status: "final", code: { text: "x" }, valueQuantity: { value: 2000000, system: "urn:units", code: "bag" } } as Stored],
    ];

    describe("indexes", () => {
      beforeAll(async () => {
        for (const [, , , , resource] of served) stored.push((await repository.create(resource)).resource as Stored);
      });

      for (const [label, type, text, match] of served) {
        it(`${label} finds its match through an index`, async () => {
          const page = await strict.search(query(type, text));
          expect(page.entries.map((entry) => entry.id)).toEqual([match]);
          expect(page.next).toBeUndefined();
        });
      }
    });

    it("rejects a search no index narrows without a match", async () => {
      const search = query("Observation", "subject:identifier=urn:x|none");
      await expect(repository.search(search)).rejects.toMatchObject({ kind: "too-costly", message: expect.stringContaining("subject:identifier") });
    });

    it("returns a short page with a next link at the budget", async () => {
      const page = await repository.search(query("Observation", "status:not=cancelled", { count: 100 }));
      expect(page.entries).toHaveLength(20);
      expect(page.next).toBeDefined();
    });

    it("pages back with previous links in the same order", async () => {
      const search = query("Observation", "status=amended", { count: 6 });
      const forward: string[][] = [];
      let last: string | undefined;
      let cursor: string | undefined;
      do {
        const page = await repository.search({ ...search, ...(cursor === undefined ? {} : { cursor }) });
        forward.push(page.entries.map((entry) => `Observation/${entry.id}`));
        if (page.next !== undefined) last = page.next;
        cursor = page.next;
      } while (cursor !== undefined);
      expect(forward.flat()).toEqual(expected(search));

      let page = await repository.search({ ...search, cursor: last! });
      const backward: string[][] = [page.entries.map((entry) => `Observation/${entry.id}`)];
      while (page.previous !== undefined) {
        page = await repository.search({ ...search, cursor: page.previous });
        if (page.entries.length > 0) backward.unshift(page.entries.map((entry) => `Observation/${entry.id}`));
      }
      expect(backward.flat()).toEqual(forward.flat());
    });

    it("merges system-level search by type and id", async () => {
      const search = { ...parseSystemSearch(new URLSearchParams("_type=RiskAssessment,ValueSet&_lastUpdated=gt2000"), "strict", BASE, { results: true }).query, count: 4 };
      const ids = await allIds(repository, search);
      expect(ids).toEqual(expected(search));
      expect(ids[0]).toMatch(/^RiskAssessment\//);
      expect(ids.at(-1)).toMatch(/^ValueSet\//);
    });

    it("sorts with _sort like compareForSort", async () => {
      const search = query("Observation", "status=final&_sort=-date,_id", { count: 5 });
      const ids = (await allIds(repository, search)).map((id) => id.slice("Observation/".length));
      const matches = stored.filter((resource) => resource.resourceType === "Observation" && matchesQuery(resource, search.clauses, extractSearchValues(resource)));
      const sorted = matches
        .map((resource) => ({ id: resource.id, values: extractSearchValues(resource) }))
        .sort((a, b) => compareForSort(search.sort, a, b) || (a.id < b.id ? -1 : 1))
        .map((entry) => entry.id);
      expect(ids).toEqual(sorted);
    });

    it("rejects an invalid search cursor", async () => {
      await expect(repository.search(query("Observation", "status=final", { cursor: "bad" }))).rejects.toMatchObject({ kind: "invalid" });
    });

    it("finds a resource after an update changes its values", async () => {
      const resource = { resourceType: "Patient", id: "pat-moved", name: [{ family: "Before" }] } as Stored;
      await repository.create(resource);
      await repository.update({ ...resource, name: [{ family: "After" }] } as Stored);
      expect(await allIds(repository, query("Patient", "family=before"))).toEqual([]);
      expect(await allIds(repository, query("Patient", "family=after"))).toEqual(["Patient/pat-moved"]);
      await repository.delete("Patient", "pat-moved");
      expect(await allIds(repository, query("Patient", "family=after"))).toEqual([]);
    });
  });
}
