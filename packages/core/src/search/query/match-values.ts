/** Matching of one extracted value against one search alternative, by type (R4 search.html). */
import type { IndexValue, Modifier, QueryValue } from "../model.ts";
import { approximateDateRange, approximateNumberRange, compareNumber, compareRanges } from "./ordered.ts";

type Target<T extends IndexValue["type"]> = IndexValue & { type: T };
type Query<T extends QueryValue["type"]> = QueryValue & { type: T };

/** Tests one extracted value against one alternative, under the clause's modifier. */
export function matchesValue(target: IndexValue, value: QueryValue, modifier: Modifier | undefined, now: number): boolean {
  switch (value.type) {
    case "string":
      return target.type === "string" && matchesString(target, value, modifier);
    case "token":
      return target.type === "token" && matchesToken(target, value);
    case "token-text":
      return target.type === "token" && target.text !== undefined && target.text.startsWith(value.text);
    case "token-of-type":
      return target.type === "token" && matchesOfType(target, value);
    case "date": {
      if (target.type !== "date") return false;
      const search = { low: value.start, high: value.end };
      return compareRanges(value.prefix, search, { low: target.start, high: target.end }, approximateDateRange(search, now));
    }
    case "number":
      return target.type === "number" && compareNumber(value.prefix, value, target.value, approximateNumberRange(value.value, value));
    case "quantity":
      return target.type === "quantity" && matchesQuantity(target, value);
    case "reference":
      return target.type === "reference" && matchesReference(target, value);
    case "reference-identifier":
      return target.type === "reference" && matchesReferenceIdentifier(target, value);
    case "uri":
      return target.type === "uri" && matchesUri(target.value, value.value, modifier);
    case "composite":
      return target.type === "composite" && matchesComposite(target, value, now);
  }
}

/**
 * Default string search matches a prefix of the normalized value, `:contains` any part of it,
 * and `:exact` the whole value as written, case and accents included (search.html#string).
 */
function matchesString(target: Target<"string">, value: Query<"string">, modifier: Modifier | undefined): boolean {
  if (modifier === "exact") return target.exact === value.value;
  if (modifier === "contains") return target.normalized.includes(value.normalized);
  return target.normalized.startsWith(value.normalized);
}

/**
 * Token forms (search.html#token): `code` matches in any system, `system|code` in that system,
 * `system|` any code of the system, and `|code` only values whose element has no system
 * (extracted `system` ""). A bare code element, such as Patient.gender, is extracted without a
 * system and so matches `code` but not `|code`. Codes compare case-sensitively.
 */
function matchesToken(target: Target<"token">, value: Query<"token">): boolean {
  if (value.system !== undefined && target.system !== value.system) return false;
  return value.code === undefined || target.code === value.code;
}

function matchesOfType(target: Target<"token">, value: Query<"token-of-type">): boolean {
  if (target.code !== value.value) return false;
  return (target.identifierType ?? []).some((coding) => coding.system === value.system && coding.code === value.code);
}

/**
 * Quantities compare in canonical units when both sides have a canonical form of the same code.
 * Otherwise the system must match when the search names one, and the code must match when the
 * search names one. Without a system, the search code may also match the human-readable unit
 * (search.html#quantity: `5.4||mg`). A bare number matches in any unit.
 */
function matchesQuantity(target: Target<"quantity">, value: Query<"quantity">): boolean {
  if (value.canonical !== undefined && target.canonical !== undefined) {
    if (value.canonical.code !== target.canonical.code) return false;
    const approximate = approximateNumberRange(value.canonical.value, value.canonical);
    return compareNumber(value.prefix, value.canonical, target.canonical.value, approximate);
  }

  if (value.system !== undefined && target.system !== value.system) return false;
  if (value.code !== undefined && target.code !== value.code) {
    const unitMatches = value.system === undefined && target.unit === value.code;
    if (!unitMatches) return false;
  }
  return compareNumber(value.prefix, value, target.value, approximateNumberRange(value.value, value));
}

/**
 * References (search.html#reference): `Type/id` matches the local reference, a bare id matches a
 * local reference of any type (or of the `:[type]` type), and a URL matches the stored absolute
 * URL or canonical, with its version when the search gives one.
 */
function matchesReference(target: Target<"reference">, value: Query<"reference">): boolean {
  if (value.url !== undefined) {
    if (target.url !== value.url) return false;
    if (value.version !== undefined && target.version !== value.version) return false;
    return value.resourceType === undefined || target.resourceType === value.resourceType;
  }

  if (value.id === undefined || target.reference === undefined) return false;
  const slash = target.reference.indexOf("/");
  const resourceType = target.reference.slice(0, slash);
  const id = target.reference.slice(slash + 1);
  if (slash < 0 || id !== value.id) return false;
  return value.resourceType === undefined || resourceType === value.resourceType;
}

/** `:identifier` matches Reference.identifier in the token forms, `|value` meaning no system. */
function matchesReferenceIdentifier(target: Target<"reference">, value: Query<"reference-identifier">): boolean {
  const identifier = target.identifier;
  if (identifier === undefined) return false;
  if (value.system !== undefined && (identifier.system ?? "") !== value.system) return false;
  return value.value === undefined || identifier.value === value.value;
}

/**
 * URIs compare exactly by default. `:below` matches the search URI and any URI under it, and
 * `:above` the search URI and any URI it lies under (search.html#uri). Both apply to URLs only,
 * so a URN such as `urn:oid:1.2.3` still compares exactly.
 *
 * Hint: R4 describes `:below` as "starts with". Flint compares whole path segments, so
 * `url:below=http://acme.org/fh` does not match `http://acme.org/fhir/ValueSet/1`, and
 * `http://acme.org/fhir/ValueSet/12` is not above `http://acme.org/fhir/ValueSet/123`.
 */
function matchesUri(target: string, search: string, modifier: Modifier | undefined): boolean {
  if (search.startsWith("urn:")) return target === search;
  if (modifier === "below") return isUnder(target, search);
  if (modifier === "above") return isUnder(search, target);
  return target === search;
}

function isUnder(uri: string, ancestor: string): boolean {
  if (uri === ancestor) return true;
  return uri.startsWith(ancestor.endsWith("/") ? ancestor : `${ancestor}/`);
}

/**
 * Tests a composite repetition (search.html#composite): every component must match a value
 * extracted from this same repetition, so values of different repetitions never combine.
 */
function matchesComposite(target: Target<"composite">, value: Query<"composite">, now: number): boolean {
  return value.components.every((component, index) =>
    (target.components[index] ?? []).some((part) => matchesValue(part, component, undefined, now)),
  );
}
