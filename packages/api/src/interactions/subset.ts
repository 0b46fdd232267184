import { isRequiredElement, memberText, objectMembers, type SearchQuery } from "@flint/core";

/** Tag that marks a resource returned with only some of its elements (R4 search.html#summary). */
const SUBSETTED = { system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", code: "SUBSETTED" };

/**
 * Returns a match's JSON text reduced as `_elements` or `_summary` requests (R4 search.html#elements,
 * #summary), tagged SUBSETTED, or unchanged. `_elements` keeps the listed top-level elements and
 * the mandatory ones; `_summary=text` keeps `text` and the mandatory elements; `_summary=data`
 * drops `text`. Values keep their written form because only whole members are copied.
 */
export function subsetJson(json: string, resourceType: string, query: SearchQuery): string {
  let keep: (key: string) => boolean;
  if (query.elements !== undefined) {
    const requested = new Set(query.elements);
    keep = (key) => requested.has(key) || isMandatory(resourceType, key);
  } else if (query.summary === "text") {
    keep = (key) => key === "text" || isMandatory(resourceType, key);
  } else if (query.summary === "data") {
    keep = (key) => key !== "text";
  } else {
    return json;
  }

  const meta = JSON.parse(memberText(json, "meta") ?? "{}") as { tag?: unknown[] };
  meta.tag = [...(meta.tag ?? []), SUBSETTED];
  let output = `{"resourceType":${JSON.stringify(resourceType)}`;
  for (const member of objectMembers(json)) {
    if (member.key === "resourceType" || member.key === "meta") continue;
    const base = member.key.startsWith("_") ? member.key.slice(1) : member.key;
    if (member.key === "id" || keep(base)) output += `,${JSON.stringify(member.key)}:${member.value}`;
  }
  return `${output},"meta":${JSON.stringify(meta)}}`;
}

function isMandatory(resourceType: string, key: string): boolean {
  return isRequiredElement(resourceType, key);
}
