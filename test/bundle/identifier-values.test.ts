import { beforeAll, describe, expect, it } from "vitest";
import { createTestApp } from "../support/app.ts";

let api: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  api = await createTestApp();
});

describe("transaction rewriting by element type", () => {
  it("keeps identifier values equal to a fullUrl", async () => {
    const reportUrl = `urn:uuid:${crypto.randomUUID()}`;
    const bundle = {
      resourceType: "Bundle",
      type: "transaction",
      entry: [
        {
          fullUrl: reportUrl,
          resource: { resourceType: "DiagnosticReport", status: "final", code: { text: "probe" } },
          request: { method: "POST", url: "DiagnosticReport" },
        },
        {
          resource: {
            resourceType: "DocumentReference",
            status: "current",
            identifier: [{ system: "urn:ietf:rfc:3986", value: reportUrl }],
            context: { related: [{ reference: reportUrl }] },
            content: [{ attachment: { contentType: "text/plain", url: reportUrl } }],
          },
          request: { method: "POST", url: "DocumentReference" },
        },
      ],
    };

    const result = await api.fhir("POST", "", { body: bundle });
    expect(result.status).toBe(200);
    const reportId = result.json.entry[0].response.location.split("/")[1];
    const documentLocation = result.json.entry[1].response.location.split("/_history")[0];
    const document = await api.fhir("GET", `/${documentLocation}`);

    expect(document.json.identifier[0].value).toBe(reportUrl);
    expect(document.json.context.related[0].reference).toBe(`DiagnosticReport/${reportId}`);
    expect(document.json.content[0].attachment.url).toBe(`DiagnosticReport/${reportId}`);
  });
});
