import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp, issueCodes } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
const family = `Systemsearch${crypto.randomUUID().slice(0, 8)}`;
let patient: string;
let practitioner: string;
let person: string;

function matches(bundle: any): string[] {
  return (bundle.entry ?? []).filter((entry: any) => entry.search?.mode === "match").map((entry: any) => `${entry.resource.resourceType}/${entry.resource.id}`);
}

async function search(path: string, init: { method?: string; body?: string } = {}): Promise<any> {
  const headers: Record<string, string> = { prefer: "handling=strict" };
  if (init.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
  const result = await api.fhir(init.method ?? "GET", path, { headers, ...(init.body === undefined ? {} : { raw: init.body }) });
  expect(result.status, `${path}: ${result.text.slice(0, 300)}`).toBe(200);
  return result.json;
}

beforeAll(async () => {
  api = await createTestApp();
  patient = (await api.createResource({ resourceType: "Patient", name: [{ family }] } as any)).id;
  practitioner = (await api.createResource({ resourceType: "Practitioner", name: [{ family }] } as any)).id;
  person = (await api.createResource({ resourceType: "Person", name: [{ family }] } as any)).id;
  await api.createResource({ resourceType: "Observation", status: "final", code: { text: family }, subject: { reference: `Patient/${patient}` } } as any);
});

describe("system-level search", () => {
  it("searches the _type list by a shared parameter", async () => {
    const bundle = await search(`?_type=Practitioner,Patient&name=${family}`);
    expect(matches(bundle)).toEqual([`Patient/${patient}`, `Practitioner/${practitioner}`]);
    expect(bundle.entry[0].fullUrl).toBe(`http://flint.test/fhir/Patient/${patient}`);
  });

  it("searches every type by _id without _type", async () => {
    const bundle = await search(`?_id=${patient},${person}`);
    expect(matches(bundle).sort()).toEqual([`Patient/${patient}`, `Person/${person}`].sort());
  });

  it("accepts POST [base]/_search with a form body", async () => {
    const bundle = await search("/_search", { method: "POST", body: `_type=Patient,Person&name=${family}` });
    expect(matches(bundle)).toEqual([`Patient/${patient}`, `Person/${person}`]);
  });

  it("pages across types with next and previous links", async () => {
    const first = await search(`?_type=Patient,Person,Practitioner&name=${family}&_count=1`);
    const seen = [...matches(first)];
    let bundle = first;
    for (;;) {
      const next = bundle.link.find((link: any) => link.relation === "next");
      if (next === undefined) break;
      bundle = await search(next.url.slice("http://flint.test/fhir".length));
      seen.push(...matches(bundle));
    }
    expect(seen).toEqual([`Patient/${patient}`, `Person/${person}`, `Practitioner/${practitioner}`]);

    const previous = bundle.link.find((link: any) => link.relation === "previous");
    expect(previous).toBeDefined();
    const back = await search(previous.url.slice("http://flint.test/fhir".length));
    expect(matches(back)).toEqual([`Person/${person}`]);
  });

  it("rejects a parameter that one listed type lacks", async () => {
    const result = await api.fhir("GET", `?_type=Patient,Observation&gender=male`, { headers: { prefer: "handling=strict" } });
    expect(result.status).toBe(400);
    expect(result.text).toContain("Observation");
  });

  it("rejects a type-specific parameter without _type", async () => {
    const result = await api.fhir("GET", `?name=${family}`, { headers: { prefer: "handling=strict" } });
    expect(result.status).toBe(400);
  });

  it("rejects _has across several types", async () => {
    const result = await api.fhir("GET", `?_type=Patient,Group&_has:Observation:subject:status=final`, { headers: { prefer: "handling=strict" } });
    expect(result.status).toBe(400);
    expect(issueCodes(result.json)).toEqual(["not-supported"]);
  });

  it("lists search-system and the common parameters in the CapabilityStatement", async () => {
    const statement = (await api.fhir("GET", "/metadata")).json;
    const rest = statement.rest[0];
    expect(rest.interaction.map((interaction: any) => interaction.code)).toContain("search-system");
    const names = rest.searchParam.map((parameter: any) => parameter.name);
    expect(names).toEqual(expect.arrayContaining(["_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"]));
    expect(names).not.toContain("name");
  });
});
