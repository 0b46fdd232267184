import { DEFINITIONS } from "./generated/definitions.ts";
import { SUMMARY_ELEMENTS } from "./generated/summary.ts";
import { arrayElements, objectMembers } from "./json/text.ts";
import { getTypeSchema } from "./validation/schema.ts";

/** Element names that `_summary=true` keeps, per resource type or backbone key, built on first use. */
const keptElementsCache = new Map<string, ReadonlySet<string>>();

/**
 * Returns the text of member `key` of an element as `_summary=true` keeps it, or undefined when
 * the summary leaves the member out (R4 search.html#summary). `definitionKey` is the element's
 * resource type or, inside a backbone element, its key in the generated definitions, such as
 * `Patient.link`. `value` is minified JSON text.
 *
 * The summary keeps the elements marked isSummary in the R4 StructureDefinitions and the
 * elements with a minimum cardinality of 1. Inside a kept backbone element the same rule applies
 * to its children, and a backbone element left with no children is dropped. Values of datatypes
 * (HumanName, Quantity) and of resources (`Bundle.entry.resource`) are kept whole, and `_x`
 * follows element `x`. Kept values are copied as text, so a decimal such as `105.00` keeps its
 * written form. Unknown members are dropped.
 */
export function summarizeMember(definitionKey: string, key: string, value: string): string | undefined {
  const property = getTypeSchema(definitionKey)?.properties.get(key);
  if (property === undefined || !keptElementsOf(definitionKey).has(property.element)) return undefined;

  // A backbone element is typed with its own key, such as `Patient.link`. Other type codes have no dot.
  if (property.primitiveElement || !property.type.includes(".")) return value;
  return property.repeating ? summarizeArray(property.type, value) : summarizeObject(property.type, value);
}

function keptElementsOf(definitionKey: string): ReadonlySet<string> {
  const cached = keptElementsCache.get(definitionKey);
  if (cached !== undefined) return cached;

  const summary = Object.hasOwn(SUMMARY_ELEMENTS, definitionKey) ? (SUMMARY_ELEMENTS[definitionKey] ?? "") : "";
  const names = new Set(summary.split(" ").filter((name) => name !== ""));
  const definition = Object.hasOwn(DEFINITIONS, definitionKey) ? (DEFINITIONS[definitionKey] ?? {}) : {};
  for (const [name, element] of Object.entries(definition)) {
    if (element.min === 1) names.add(name);
  }
  keptElementsCache.set(definitionKey, names);
  return names;
}

function summarizeObject(definitionKey: string, text: string): string | undefined {
  if (!text.startsWith("{")) return undefined;
  const members: string[] = [];
  for (const member of objectMembers(text)) {
    const summarized = summarizeMember(definitionKey, member.key, member.value);
    if (summarized !== undefined) members.push(`${JSON.stringify(member.key)}:${summarized}`);
  }
  // An empty object is not valid FHIR JSON (R4 json.html, invariant ele-1), so it is dropped.
  return members.length === 0 ? undefined : `{${members.join(",")}}`;
}

function summarizeArray(definitionKey: string, text: string): string | undefined {
  if (!text.startsWith("[")) return undefined;
  const items: string[] = [];
  for (const item of arrayElements(text)) {
    const summarized = summarizeObject(definitionKey, item);
    if (summarized !== undefined) items.push(summarized);
  }
  return items.length === 0 ? undefined : `[${items.join(",")}]`;
}
