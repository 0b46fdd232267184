import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp();
});

async function collectPages(path: string): Promise<any[]> {
  const entries: any[] = [];
  let url: string | undefined = path;
  while (url !== undefined) {
    const page = await api.fhir("GET", url);
    expect(page.status).toBe(200);
    expect(page.json.type).toBe("history");
    entries.push(...(page.json.entry ?? []));
    const next = page.json.link.find((link: { relation: string }) => link.relation === "next");
    url = next === undefined ? undefined : next.url.replace("http://flint.test/fhir", "");
  }
  return entries;
}

describe("history", () => {
  it("lists instance versions with request and response", async () => {
    const created = await api.createResource({ resourceType: "Device", status: "active" });
    await api.fhir("PUT", `/Device/${created.id}`, { body: { ...created, status: "inactive" } });
    await api.fhir("DELETE", `/Device/${created.id}`);

    const result = await api.fhir("GET", `/Device/${created.id}/_history`);
    const entries = result.json.entry;
    expect(entries.map((entry: any) => entry.response.etag)).toEqual(['W/"3"', 'W/"2"', 'W/"1"']);
    expect(entries.map((entry: any) => entry.request.method)).toEqual(["DELETE", "PUT", "POST"]);
    expect(entries[0].resource).toBeUndefined();
    expect(entries[0].request.url).toBe(`Device/${created.id}`);
    expect(entries[1].resource.status).toBe("inactive");
    expect(entries[2].request.url).toBe("Device");
    expect(entries[2].fullUrl).toBe(`http://flint.test/fhir/Device/${created.id}`);
  });

  it("pages type history without repeats", async () => {
    const ids = [];
    for (let index = 0; index < 5; index++) ids.push((await api.createResource({ resourceType: "Substance", code: { text: `s${index}` } })).id);

    const entries = await collectPages("/Substance/_history?_count=2");
    expect(entries.map((entry) => entry.resource.id).sort()).toEqual([...ids].sort());
  });

  it("pages system history and keeps filters in links", async () => {
    const since = new Date().toISOString();
    await api.createResource({ resourceType: "Basic", code: { text: "a" } });
    await api.createResource({ resourceType: "Basic", code: { text: "b" } });
    await api.createResource({ resourceType: "Group", type: "person", actual: true });

    const first = await api.fhir("GET", `/_history?_count=2&_since=${encodeURIComponent(since)}`);
    const next = first.json.link.find((link: { relation: string }) => link.relation === "next");
    expect(next.url).toContain("_since=");
    expect(next.url).toContain("_count=2");
    const entries = await collectPages(`/_history?_count=2&_since=${encodeURIComponent(since)}`);
    expect(entries.map((entry) => entry.resource.resourceType).sort()).toEqual(["Basic", "Basic", "Group"]);
  });

  it("filters by _at", async () => {
    const created = await api.createResource({ resourceType: "Flag", status: "active", code: { text: "x" }, subject: { display: "probe" } });
    const at = created.meta!.lastUpdated!;
    await api.fhir("PUT", `/Flag/${created.id}`, { body: { ...created, status: "inactive" } });

    const result = await api.fhir("GET", `/Flag/${created.id}/_history?_at=${encodeURIComponent(at)}`);
    expect(result.json.entry.map((entry: any) => entry.resource.status)).toEqual(["active"]);
  });

  it.each([
    ["_since=2024-01-01", "_since"],
    ["_at=yesterday", "_at"],
    ["_count=-1", "_count"],
    ["_cursor=zzz", "cursor"],
    ["_list=abc", "_list"],
  ])("rejects %s", async (query, word) => {
    const result = await api.fhir("GET", `/Patient/_history?${query}`);
    expect(result.status).toBe(400);
    expect(result.json.issue[0].diagnostics).toContain(word);
  });

  it("caps _count at 1000", async () => {
    const result = await api.fhir("GET", "/Patient/_history?_count=5000");
    expect(result.status).toBe(200);
  });
});
