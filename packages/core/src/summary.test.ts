import { describe, expect, it } from "vitest";
import { DEFINITIONS, RESOURCE_TYPES } from "./generated/definitions.ts";
import { SUMMARY_ELEMENTS } from "./generated/summary.ts";
import { objectMembers } from "./json/text.ts";
import { summarizeMember } from "./summary.ts";

/** Applies summarizeMember to every top-level member of minified resource text and returns the kept members. */
function summarize(resourceType: string, json: string): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const member of objectMembers(json)) {
    const value = summarizeMember(resourceType, member.key, member.value);
    if (value !== undefined) kept[member.key] = value;
  }
  return kept;
}

describe("generated summary elements", () => {
  it("lists the summary elements of Patient", () => {
    // R4 patient.html marks these elements Σ. maritalStatus, photo, contact and the others are not.
    expect(SUMMARY_ELEMENTS.Patient?.split(" ")).toEqual([
      "id",
      "meta",
      "implicitRules",
      "identifier",
      "active",
      "name",
      "telecom",
      "gender",
      "birthDate",
      "deceased[x]",
      "address",
      "managingOrganization",
      "link",
    ]);
    expect(SUMMARY_ELEMENTS["Patient.link"]?.split(" ")).toEqual(["modifierExtension", "other", "type"]);
  });

  it("lists no backbone that summaries never keep", () => {
    expect(SUMMARY_ELEMENTS["Patient.contact"]).toBeUndefined();
    expect(SUMMARY_ELEMENTS["Patient.communication"]).toBeUndefined();
  });

  it("covers every resource type", () => {
    const missing = RESOURCE_TYPES.filter((type) => SUMMARY_ELEMENTS[type] === undefined);
    expect(missing).toEqual([]);
  });

  it("names only elements of the definitions", () => {
    const unknown: string[] = [];
    for (const [key, names] of Object.entries(SUMMARY_ELEMENTS)) {
      for (const name of names.split(" ")) {
        if (DEFINITIONS[key]?.[name] === undefined) unknown.push(`${key}.${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});

describe("summarizeMember", () => {
  const patient =
    '{"resourceType":"Patient","id":"p1","meta":{"versionId":"1"},' +
    '"text":{"status":"generated","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\">Ann</div>"},' +
    '"name":[{"family":"Lee","given":["Ann"],"extension":[{"url":"http://example.org/x","valueString":"y"}]}],' +
    '"birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"http://example.org/t","valueTime":"10:00:00"}]},' +
    '"deceasedBoolean":false,"multipleBirthInteger":2,"maritalStatus":{"text":"married"},' +
    '"contact":[{"name":{"family":"Lee"},"modifierExtension":[{"url":"http://example.org/m","valueBoolean":true}]}],' +
    '"communication":[{"language":{"text":"English"},"preferred":true}],' +
    '"link":[{"id":"l1","extension":[{"url":"http://example.org/e","valueString":"z"}],"other":{"reference":"Patient/p2"},"type":"seealso"}]}';

  it("keeps summary elements of a Patient", () => {
    const kept = summarize("Patient", patient);
    expect(Object.keys(kept)).toEqual(["id", "meta", "name", "birthDate", "_birthDate", "deceasedBoolean", "link"]);
  });

  it("drops non-summary elements of a Patient", () => {
    const kept = summarize("Patient", patient);
    expect(kept.text).toBeUndefined();
    expect(kept.contact).toBeUndefined();
    expect(kept.communication).toBeUndefined();
    expect(kept.maritalStatus).toBeUndefined();
    expect(kept.multipleBirthInteger).toBeUndefined();
  });

  it("keeps datatype values whole", () => {
    const kept = summarize("Patient", patient);
    expect(kept.name).toBe('[{"family":"Lee","given":["Ann"],"extension":[{"url":"http://example.org/x","valueString":"y"}]}]');
    expect(kept._birthDate).toBe('{"extension":[{"url":"http://example.org/t","valueTime":"10:00:00"}]}');
  });

  it("keeps only summary children of a backbone", () => {
    const kept = summarize("Patient", patient);
    expect(kept.link).toBe('[{"other":{"reference":"Patient/p2"},"type":"seealso"}]');
  });

  it("drops backbone items left empty", () => {
    const participants =
      '[{"type":[{"text":"attender"}],"period":{"start":"2024-01-01"}},{"period":{"start":"2024-01-02"}},' +
      '{"individual":{"reference":"Practitioner/d1"}}]';
    expect(summarizeMember("Encounter", "participant", participants)).toBe(
      '[{"type":[{"text":"attender"}]},{"individual":{"reference":"Practitioner/d1"}}]',
    );
    expect(summarizeMember("Encounter", "participant", '[{"period":{"start":"2024-01-01"}}]')).toBeUndefined();
  });

  it("drops a non-summary backbone", () => {
    expect(summarizeMember("Encounter", "location", '[{"location":{"reference":"Location/l1"},"status":"active"}]')).toBeUndefined();
  });

  it("keeps mandatory elements that are not summary", () => {
    // AuditEvent.source is 1..1 but not Σ. Inside it, only observer is Σ (and 1..1).
    const source = '{"site":"Ward 1","observer":{"reference":"Device/d1"},"type":[{"code":"4"}]}';
    expect(summarizeMember("AuditEvent", "source", source)).toBe('{"observer":{"reference":"Device/d1"}}');
  });

  it("keeps decimals as written", () => {
    const quantity = '{"value":105.00,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}';
    expect(summarizeMember("Observation", "valueQuantity", quantity)).toBe(quantity);
    expect(summarizeMember("Observation", "component", `[{"code":{"text":"x"},"valueQuantity":${quantity},"interpretation":[{"text":"H"}]}]`)).toBe(
      `[{"code":{"text":"x"},"valueQuantity":${quantity}}]`,
    );
  });

  it("follows content references", () => {
    // Bundle.entry.link has the definition of Bundle.link.
    const entries = '[{"link":[{"id":"x","relation":"self","url":"http://example.org"}],"fullUrl":"urn:uuid:1"}]';
    expect(summarizeMember("Bundle", "entry", entries)).toBe('[{"link":[{"relation":"self","url":"http://example.org"}],"fullUrl":"urn:uuid:1"}]');
  });

  it("keeps a resource in a Bundle entry whole", () => {
    const entries = '[{"resource":{"resourceType":"Patient","text":{"status":"empty","div":"<div xmlns=\\"http://www.w3.org/1999/xhtml\\"/>"}}}]';
    expect(summarizeMember("Bundle", "entry", entries)).toBe(entries);
  });

  it("drops unknown members", () => {
    expect(summarizeMember("Patient", "fhir_comments", '["x"]')).toBeUndefined();
    expect(summarizeMember("Patient", "resourceType", '"Patient"')).toBeUndefined();
    expect(summarizeMember("NoSuchType", "id", '"x"')).toBeUndefined();
  });
});
