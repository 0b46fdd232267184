import { describe, expect, it } from "vitest";
import type { EntryRequest } from "./entries.ts";
import { formatBatch, sliceEntryTexts } from "./entry-text.ts";
import type { BundleResult } from "./load-bundle.ts";
import { classifyEntry, formatOperationOutcome, parseEntryStatus } from "./outcome.ts";
import { formatElapsed } from "./format.ts";
import { formatProgressBar, formatProgressLine } from "./progress.ts";
import { exitCodeFor, formatSummary, type LoadReport } from "./summary.ts";

function report(results: BundleResult[], overrides: Partial<LoadReport> = {}): LoadReport {
  return { results, elapsedMs: 2000, retries: {}, resentEntries: 0, unsent: { bundles: 0, entries: 0 }, ...overrides };
}

const organizations: BundleResult = {
  path: "orgs/hospitals.json",
  type: "batch",
  entries: [
    { index: 0, resourceType: "Organization", outcome: "created" },
    { index: 1, resourceType: "Organization", outcome: "existing" },
    { index: 2, resourceType: "Practitioner", outcome: "updated" },
  ],
};

const patients: BundleResult = {
  path: "patients/p1.json",
  type: "batch",
  entries: [
    { index: 0, resourceType: "Patient", outcome: "created" },
    { index: 1, resourceType: "Observation", outcome: "created" },
    { index: 2, resourceType: "Observation", outcome: "deleted" },
    { index: 3, resourceType: "Observation", outcome: "failed", status: "412 Precondition Failed", message: "version 3 is not current" },
  ],
};

const rejected: BundleResult = {
  path: "patients/p2.json",
  type: "transaction",
  entries: [
    { index: 0, resourceType: "Patient", outcome: "failed" },
    { index: 1, resourceType: "Encounter", outcome: "failed" },
  ],
  failure: { kind: "rejected", status: "400 Bad Request", message: "entry 1 (Encounter) subject: reference not found" },
};

describe("formatSummary", () => {
  it("prints a table per resource type with a total row", () => {
    const lines = formatSummary(report([organizations, patients])).split("\n");

    expect(lines.slice(0, 6)).toEqual([
      "resource type  created  updated  existing  deleted  failed",
      "Observation          1        0         0        1       1",
      "Organization         1        0         1        0       0",
      "Patient              1        0         0        0       0",
      "Practitioner         0        1         0        0       0",
      "total                3        1         1        1       1",
    ]);
    expect(lines[7]).toBe("7 entries in 2 bundles in 2.0 s (3.5 entries/s).");
  });

  it("lists each failed entry with file, index, type, status and diagnostics", () => {
    const text = formatSummary(report([organizations, patients]));

    expect(text).toContain("Failures:\n  patients/p1.json entry 3 (Observation): 412 Precondition Failed: version 3 is not current\n");
  });

  it("lists a rejected transaction once with its status", () => {
    const text = formatSummary(report([rejected]));

    expect(text).toContain("patients/p2.json: transaction rejected: 400 Bad Request: entry 1 (Encounter) subject: reference not found");
    expect(text).not.toContain("p2.json entry");
    expect(text).toContain("total                0        0         0        0       2");
  });

  it("warns about outcome unknown", () => {
    const unknown: BundleResult = { ...rejected, failure: { kind: "unknown", message: "no response within 300 s" } };
    const text = formatSummary(report([unknown]));

    expect(text).toContain("patients/p2.json: transaction outcome unknown: no response within 300 s");
    expect(text).toContain('marked "outcome unknown" may have been applied');
  });

  it("shows the other column only when used", () => {
    const read: BundleResult = { path: "read.json", type: "batch", entries: [{ index: 0, resourceType: "Patient", outcome: "other" }] };

    expect(formatSummary(report([read]))).toMatch(/^resource type {2}created {2}updated {2}existing {2}deleted {2}other {2}failed\n/);
    expect(formatSummary(report([organizations]))).not.toContain("other");
  });

  it("reports retries, re-sent entries and an interruption", () => {
    const text = formatSummary(report([organizations], { retries: { "503": 2, "connection refused": 1 }, resentEntries: 4, unsent: { bundles: 3, entries: 30 } }));

    expect(text).toContain("Retried 3 requests (503: 2, connection refused: 1).");
    expect(text).toContain("Re-sent 4 batch entries that got 503 or 429.");
    expect(text).toContain("Interrupted: 3 bundles (30 entries) not sent.");
  });

  it("contains no resource data", () => {
    expect(formatSummary(report([organizations, patients, rejected]))).not.toMatch(/resourceType|"/);
  });
});

describe("exitCodeFor", () => {
  it("is 0 when everything succeeded", () => {
    expect(exitCodeFor(report([organizations]))).toBe(0);
  });

  it("is 1 for a failed entry", () => {
    expect(exitCodeFor(report([organizations, patients]))).toBe(1);
  });

  it("is 1 for a failed bundle", () => {
    expect(exitCodeFor(report([rejected]))).toBe(1);
  });

  it("is 130 when interrupted", () => {
    expect(exitCodeFor(report([organizations], { unsent: { bundles: 1, entries: 3 } }))).toBe(130);
  });
});

describe("classifyEntry", () => {
  const request = (method: EntryRequest["method"], conditionalCreate = false): EntryRequest => ({ index: 0, resourceType: "Patient", method, conditionalCreate });

  it.each([
    ["POST", 201, "created"],
    ["PUT", 201, "created"],
    ["PUT", 200, "updated"],
    ["PATCH", 200, "updated"],
    ["DELETE", 200, "deleted"],
    ["DELETE", 204, "deleted"],
    ["GET", 200, "other"],
    ["GET", 304, "other"],
    ["PUT", 412, "failed"],
    ["POST", 503, "failed"],
  ] as const)("counts %s with status %i as %s", (method, code, outcome) => {
    expect(classifyEntry(request(method), code)).toBe(outcome);
  });

  it("counts a matched conditional create as existing", () => {
    expect(classifyEntry(request("POST", true), 200)).toBe("existing");
  });
});

describe("parseEntryStatus", () => {
  it.each([
    ["201 Created", 201, "201 Created"],
    ["201", 201, "201 Created"],
    [" 412 Precondition Failed ", 412, "412 Precondition Failed"],
    ["404 not\u001b[2J here", 404, "404 not [2J here"],
  ])("parses %j", (status, code, text) => {
    expect(parseEntryStatus(status)).toEqual({ code, text });
  });

  it.each([[undefined], [201], ["Created"], ["20"]])("rejects %j", (status) => {
    expect(parseEntryStatus(status)).toBeUndefined();
  });
});

describe("formatOperationOutcome", () => {
  const entries: EntryRequest[] = [
    { index: 0, resourceType: "Patient", method: "POST", conditionalCreate: false },
    { index: 7, resourceType: "Observation", method: "POST", conditionalCreate: false },
  ];

  it("names the entry an expression points to", () => {
    const outcome = {
      resourceType: "OperationOutcome",
      issue: [
        { severity: "error", code: "processing", diagnostics: "reference not found", expression: ["Bundle.entry[1].resource.subject"] },
        { severity: "error", code: "conflict", details: { text: "duplicate id" }, expression: ["Bundle.entry[0]"] },
        { severity: "error", code: "exception" },
      ],
    };

    expect(formatOperationOutcome(outcome, entries)).toBe(
      "entry 7 (Observation) resource.subject: reference not found; entry 0 (Patient): duplicate id; exception",
    );
  });

  it("shortens long diagnostics to 200 characters", () => {
    const text = formatOperationOutcome({ resourceType: "OperationOutcome", issue: [{ diagnostics: "x".repeat(500) }] }, []);

    expect(text).toHaveLength(200);
    expect(text?.endsWith("…")).toBe(true);
  });

  it("returns undefined for anything but an OperationOutcome", () => {
    expect(formatOperationOutcome({ resourceType: "Bundle" }, entries)).toBeUndefined();
    expect(formatOperationOutcome(undefined, entries)).toBeUndefined();
  });
});

describe("sliceEntryTexts", () => {
  it("keeps each entry exactly as written", () => {
    const text = '{ "resourceType": "Bundle", "entry" : [ {"resource":{"value": 1.50, "s":"] }, \\" ["}} , {"b":[2.0]} ], "type":"batch" }';

    expect(sliceEntryTexts(text)).toEqual(['{"resource":{"value": 1.50, "s":"] }, \\" ["}}', '{"b":[2.0]}']);
  });

  it("returns no entries for a bundle without entry", () => {
    expect(sliceEntryTexts('{"resourceType":"Bundle","type":"batch"}')).toEqual([]);
    expect(sliceEntryTexts('{"resourceType":"Bundle","type":"batch","entry":[]}')).toEqual([]);
  });

  it("builds a batch that keeps decimals", () => {
    const batch = formatBatch(['{"resource":{"value":1.50}}']);

    expect(batch).toBe('{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"value":1.50}}]}');
  });
});

describe("progress lines", () => {
  const state = { bundlesDone: 12, bundlesTotal: 40, entriesDone: 3400, entriesTotal: 12_000, retries: 0, elapsedMs: 42_000 };

  it("formats a plain line", () => {
    expect(formatProgressLine(state)).toBe("Progress: 12/40 bundles, 3,400/12,000 entries, 81 entries/s, 0:42");
  });

  it("fits the bar into the terminal width", () => {
    const bar = formatProgressBar({ ...state, retries: 2 }, 100);

    expect(bar).toMatch(/^\[#+-+\] 12\/40 bundles, 3,400\/12,000 entries, 81 entries\/s, 0:42, 2 retries$/);
    expect(bar.length).toBeLessThan(100);
    expect(formatProgressBar(state, 40).length).toBe(39);
  });

  it("formats hours", () => {
    expect(formatElapsed(3_723_000)).toBe("1:02:03");
  });
});
