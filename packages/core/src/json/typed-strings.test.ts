import { describe, expect, it } from "vitest";
import { replaceTypedStrings, type StringPlace } from "./typed-strings.ts";

function places(text: string): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  replaceTypedStrings(text, (value: string, place: StringPlace) => {
    found.push([value, `${place.owner}.${place.key}:${place.type}`]);
    return undefined;
  });
  return found;
}

describe("replaceTypedStrings", () => {
  it("types values by their element", () => {
    const text = JSON.stringify({
      resourceType: "DocumentReference",
      identifier: [{ system: "urn:ietf:rfc:3986", value: "urn:uuid:1" }],
      subject: { reference: "urn:uuid:2" },
      content: [{ attachment: { url: "urn:uuid:3" } }],
      extension: [{ url: "http://e.org/x", valueUri: "urn:uuid:4" }],
      status: "current",
    });
    expect(places(text)).toEqual([
      ["urn:ietf:rfc:3986", "Identifier.system:uri"],
      ["urn:uuid:1", "Identifier.value:string"],
      ["urn:uuid:2", "Reference.reference:string"],
      ["urn:uuid:3", "Attachment.url:url"],
      ["http://e.org/x", "Extension.url:uri"],
      ["urn:uuid:4", "Extension.valueUri:uri"],
      ["current", "DocumentReference.status:code"],
    ]);
  });

  it("types contained resources by their resourceType", () => {
    const text = JSON.stringify({ resourceType: "Observation", contained: [{ id: "p", resourceType: "Patient", link: [{ other: { reference: "urn:uuid:9" } }] }] });
    expect(places(text)).toContainEqual(["urn:uuid:9", "Reference.reference:string"]);
  });

  it("replaces only what the callback returns", () => {
    const text = '{"resourceType":"Observation","valueQuantity":{"value":1.50},"subject":{"reference":"urn:uuid:2"},"note":[{"text":"urn:uuid:2"}]}';
    const result = replaceTypedStrings(text, (value, place) => (place.key === "reference" && value === "urn:uuid:2" ? "Patient/p" : undefined));
    expect(result).toBe('{"resourceType":"Observation","valueQuantity":{"value":1.50},"subject":{"reference":"Patient/p"},"note":[{"text":"urn:uuid:2"}]}');
  });
});
