import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_BASE_URL, parseArguments, UsageError } from "./arguments.ts";
import { parseBundle, readGroups } from "./files.ts";

function bundle(type: string, entries: unknown[] = [{ resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient" } }]): string {
  return JSON.stringify({ resourceType: "Bundle", type, entry: entries });
}

function expectUsageError(action: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UsageError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe("parseArguments", () => {
  it("applies defaults", () => {
    expect(parseArguments(["a.json"], {})).toEqual({
      help: false,
      options: { paths: ["a.json"], baseUrl: DEFAULT_BASE_URL, concurrency: 4, timeoutMs: 300_000 },
    });
  });

  it("reads every option", () => {
    const parsed = parseArguments(["orgs", "--base", "https://fhir.example.org/r4/", "--concurrency", "8", "--timeout", "60", "patients"], {});
    expect(parsed).toEqual({
      help: false,
      options: { paths: ["orgs", "patients"], baseUrl: "https://fhir.example.org/r4", concurrency: 8, timeoutMs: 60_000 },
    });
  });

  it("takes the base URL from FLINT_BASE_URL", () => {
    const parsed = parseArguments(["a.json"], { FLINT_BASE_URL: "http://10.0.0.5:8080/fhir" });
    expect(parsed).toMatchObject({ options: { baseUrl: "http://10.0.0.5:8080/fhir" } });
  });

  it("prefers --base over FLINT_BASE_URL", () => {
    const parsed = parseArguments(["a.json", "--base=http://127.0.0.1:9000/fhir"], { FLINT_BASE_URL: "http://10.0.0.5:8080/fhir" });
    expect(parsed).toMatchObject({ options: { baseUrl: "http://127.0.0.1:9000/fhir" } });
  });

  it("recognizes --help and -h", () => {
    expect(parseArguments(["--help"], {})).toEqual({ help: true });
    expect(parseArguments(["a.json", "-h"], {})).toEqual({ help: true });
  });

  it.each([
    [["a.json", "--base", "localhost:8080"], "--base"],
    [["a.json", "--base", "ftp://example.org/fhir"], "--base"],
    [["a.json", "--base", "http://example.org/fhir?x=1"], "--base"],
    [["a.json", "--concurrency", "0"], "--concurrency"],
    [["a.json", "--concurrency", "four"], "--concurrency"],
    [["a.json", "--concurrency", "65"], "--concurrency"],
    [["a.json", "--timeout", "1.5"], "--timeout"],
    [["a.json", "--timeout", "3601"], "--timeout"],
    [["a.json", "--retries", "3"], "--retries"],
    [["a.json", "--base"], "--base"],
    [[], "at least one"],
  ])("rejects %j naming the problem", (argv, name) => {
    expectUsageError(() => parseArguments(argv, {}), name);
  });

  it("rejects an invalid FLINT_BASE_URL", () => {
    expectUsageError(() => parseArguments(["a.json"], { FLINT_BASE_URL: "not a url" }), "FLINT_BASE_URL");
  });
});

describe("parseBundle", () => {
  it("describes each request entry", () => {
    const text = bundle("transaction", [
      { resource: { resourceType: "Patient" }, request: { method: "POST", url: "Patient", ifNoneExist: "identifier=x|1" } },
      { resource: { resourceType: "Observation" }, request: { method: "PUT", url: "Observation/o1" } },
      { request: { method: "DELETE", url: "Encounter?patient=Patient/p1" } },
      { request: { method: "GET", url: "https://fhir.example.org/r4/Practitioner/p2" } },
      { request: { method: "GET", url: "metadata" } },
    ]);

    expect(parseBundle(text)).toEqual({
      type: "transaction",
      entries: [
        { index: 0, resourceType: "Patient", method: "POST", conditionalCreate: true },
        { index: 1, resourceType: "Observation", method: "PUT", conditionalCreate: false },
        { index: 2, resourceType: "Encounter", method: "DELETE", conditionalCreate: false },
        { index: 3, resourceType: "Practitioner", method: "GET", conditionalCreate: false },
        { index: 4, resourceType: "(unknown)", method: "GET", conditionalCreate: false },
      ],
    });
  });

  it("does not quote the file in a syntax error", () => {
    expect(() => parseBundle('{"name":"Chalmers",x}')).toThrow(/^not valid JSON: syntax error at line 1, column 20$/);
    expect(() => parseBundle('{"name":tru}')).toThrow(/^not valid JSON$/);
  });

  it("accepts a bundle without entries", () => {
    expect(parseBundle('{"resourceType":"Bundle","type":"batch"}')).toEqual({ type: "batch", entries: [] });
  });

  it.each([
    ["{", "not valid JSON"],
    ['{"resourceType":"Bundle",\n "type":"batch" x}', "not valid JSON: syntax error at line 2, column 17"],
    ["\uFEFF{}", "byte order mark"],
    ['{"resourceType":"Patient"}', "not a FHIR Bundle"],
    ['[{"resourceType":"Bundle"}]', "not a FHIR Bundle"],
    ['{"resourceType":"Bundle","type":"collection"}', '"collection"'],
    ['{"resourceType":"Bundle"}', "missing"],
    ['{"resourceType":"Bundle","type":{"name":"Chalmers"}}', "Bundle.type is not a string"],
    ['{"resourceType":"Bundle","type":"batch","entry":{}}', "not an array"],
    ['{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient"}}]}', "entry 0 has no request"],
    ['{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST","url":"Patient"}},{"request":{"method":"SEND","url":"x"}}]}', "entry 1"],
    ['{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"POST"}}]}', "request.url"],
  ])("rejects %s", (text, fragment) => {
    expect(() => parseBundle(text)).toThrow(fragment);
  });
});

describe("readGroups", () => {
  let folder: string;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "flint-loader-args-"));
    await mkdir(join(folder, "patients", "nested"), { recursive: true });
    await mkdir(join(folder, "empty"));
    await writeFile(join(folder, "orgs.json"), bundle("batch", []));
    await writeFile(join(folder, "patients", "b.json"), bundle("transaction"));
    await writeFile(join(folder, "patients", "a.json"), bundle("batch"));
    await writeFile(join(folder, "patients", "B2.json"), bundle("batch"));
    await writeFile(join(folder, "patients", "._a.json"), "not json");
    await writeFile(join(folder, "patients", "notes.txt"), "not json");
    await writeFile(join(folder, "patients", "nested", "c.json"), bundle("batch"));
    await writeFile(join(folder, "collection.json"), bundle("collection"));
    await writeFile(join(folder, "broken.json"), "{");
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("expands a folder into its json files sorted by name", async () => {
    const groups = await readGroups([join(folder, "orgs.json"), join(folder, "patients")]);

    expect(groups.map((group) => group.argument)).toEqual([join(folder, "orgs.json"), join(folder, "patients")]);
    expect(groups[0]?.files).toEqual([{ path: join(folder, "orgs.json"), type: "batch", entryCount: 0 }]);
    expect(groups[1]?.files).toEqual([
      { path: join(folder, "patients", "B2.json"), type: "batch", entryCount: 1 },
      { path: join(folder, "patients", "a.json"), type: "batch", entryCount: 1 },
      { path: join(folder, "patients", "b.json"), type: "transaction", entryCount: 1 },
    ]);
  });

  it("lists every invalid path in one error", async () => {
    const paths = [join(folder, "missing.json"), join(folder, "collection.json"), join(folder, "broken.json"), join(folder, "empty"), join(folder, "orgs.json")];
    const error = await readGroups(paths).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toContain(`${join(folder, "missing.json")}: not found`);
    expect(message).toContain(`${join(folder, "collection.json")}: Bundle.type is "collection"`);
    expect(message).toContain(`${join(folder, "broken.json")}: not valid JSON`);
    expect(message).toContain(`${join(folder, "empty")}: the folder contains no .json files`);
    expect(message).not.toContain("orgs.json");
  });
});
