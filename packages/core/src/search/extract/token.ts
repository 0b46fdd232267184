/** Values of `token` search parameters (R4 search.html#token). */
import type { IndexValue } from "../model.ts";
import type { FhirValue } from "./evaluate.ts";
import { normalizeString } from "./string.ts";

type TokenValue = Extract<IndexValue, { type: "token" }>;

/**
 * Appends the tokens of one item:
 *
 * - Coding: its system ("" when absent), code, and display as `text`;
 * - CodeableConcept: a token per coding, and one with only `text` for CodeableConcept.text;
 * - Identifier: system ("" when absent), value as code, `type.text` as text and the type's
 *   codings as `identifierType`;
 * - ContactPoint: its value as code, without a system (R4 matches `ContactPoint.value`);
 * - boolean: `true` or `false`; code, id, string, uri and other string primitives: the value.
 *   Primitives have no system.
 */
export function extractTokens(item: FhirValue, values: IndexValue[]): void {
  const { type, value } = item;
  if (typeof value === "boolean") {
    values.push({ type: "token", code: String(value) });
    return;
  }
  if (typeof value === "string") {
    values.push({ type: "token", code: value });
    return;
  }
  if (typeof value !== "object" || value === null) return;

  const element = value as Record<string, unknown>;
  switch (type) {
    case "Coding":
      pushCoding(element, values);
      break;
    case "CodeableConcept":
      pushCodeableConcept(element, values);
      break;
    case "Identifier":
      pushIdentifier(element, values);
      break;
    case "ContactPoint":
      if (typeof element.value === "string") values.push({ type: "token", code: element.value });
      break;
  }
}

function pushCoding(coding: Record<string, unknown>, values: IndexValue[]): void {
  const { system, code, display } = coding;
  if (typeof code !== "string" && typeof system !== "string" && typeof display !== "string") return;

  const token: TokenValue = { type: "token", system: typeof system === "string" ? system : "" };
  if (typeof code === "string") token.code = code;
  if (typeof display === "string") token.text = normalizeString(display);
  values.push(token);
}

function pushCodeableConcept(concept: Record<string, unknown>, values: IndexValue[]): void {
  for (const coding of objects(concept.coding)) pushCoding(coding, values);
  if (typeof concept.text === "string") values.push({ type: "token", text: normalizeString(concept.text) });
}

function pushIdentifier(identifier: Record<string, unknown>, values: IndexValue[]): void {
  const { system, value, type } = identifier;
  if (typeof value !== "string" && typeof system !== "string") return;

  const token: TokenValue = { type: "token", system: typeof system === "string" ? system : "" };
  if (typeof value === "string") token.code = value;
  if (typeof type === "object" && type !== null) {
    const { text, coding } = type as Record<string, unknown>;
    if (typeof text === "string") token.text = normalizeString(text);
    const identifierType = objects(coding).map(({ system: codingSystem, code }) => ({
      ...(typeof codingSystem === "string" ? { system: codingSystem } : {}),
      ...(typeof code === "string" ? { code } : {}),
    }));
    if (identifierType.length > 0) token.identifierType = identifierType;
  }
  values.push(token);
}

function objects(value: unknown): Array<Record<string, unknown>> {
  if (!Array.isArray(value)) return [];
  return value.filter((item): item is Record<string, unknown> => typeof item === "object" && item !== null);
}
