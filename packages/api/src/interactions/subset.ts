import { isRequiredElement, memberText, objectMembers, summarizeMember, type SearchQuery } from "@flint/core";

/** Tag that marks a resource returned with only some of its elements (R4 search.html#summary). */
const SUBSETTED = { system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", code: "SUBSETTED" };

/** Function from a top-level member's key and value text to the text kept, or undefined to drop the member. */
type MemberSelector = (key: string, value: string) => string | undefined;

/**
 * Returns a match's JSON text reduced as `_elements` or `_summary` requests (R4 search.html#elements,
 * #summary), tagged SUBSETTED, or unchanged. `_elements` keeps the listed top-level elements and
 * the mandatory ones. `_summary=true` keeps the summary and mandatory elements, also inside
 * backbone elements, as `summarizeMember` describes. `_summary=text` keeps `text` and the
 * mandatory elements, and `_summary=data` drops `text`. Values keep their written form because
 * members are copied as text.
 */
export function subsetJson(json: string, resourceType: string, query: SearchQuery): string {
  const select = memberSelector(resourceType, query);
  if (select === undefined) return json;

  const meta = JSON.parse(memberText(json, "meta") ?? "{}") as { tag?: unknown[] };
  meta.tag = [...(meta.tag ?? []), SUBSETTED];
  let output = `{"resourceType":${JSON.stringify(resourceType)}`;
  for (const member of objectMembers(json)) {
    if (member.key === "resourceType" || member.key === "meta") continue;
    const value = member.key === "id" ? member.value : select(member.key, member.value);
    if (value !== undefined) output += `,${JSON.stringify(member.key)}:${value}`;
  }
  return `${output},"meta":${JSON.stringify(meta)}}`;
}

/** Returns the member selector of the requested subset, or undefined when the query requests whole resources. */
function memberSelector(resourceType: string, query: SearchQuery): MemberSelector | undefined {
  if (query.elements !== undefined) {
    const requested = new Set(query.elements);
    return wholeMembers((name) => requested.has(name) || isMandatory(resourceType, name));
  }
  switch (query.summary) {
    case "true":
      return (key, value) => summarizeMember(resourceType, key, value);
    case "text":
      return wholeMembers((name) => name === "text" || isMandatory(resourceType, name));
    case "data":
      return wholeMembers((name) => name !== "text");
    default:
      return undefined;
  }
}

/** Keeps whole the members whose element name passes `keep`. A `_x` member follows element `x`. */
function wholeMembers(keep: (name: string) => boolean): MemberSelector {
  return (key, value) => (keep(key.startsWith("_") ? key.slice(1) : key) ? value : undefined);
}

function isMandatory(resourceType: string, key: string): boolean {
  return isRequiredElement(resourceType, key);
}
