/**
 * Parameter names of a search into clauses: plain parameters with a modifier, chains
 * (R4 search.html#chaining) and reverse chains (search.html#has).
 */
import type { QueryClause, SearchParameterDefinition } from "../model.ts";
import { findDefinition, isSearchableType, type ParseContext } from "./context.ts";
import { echo, invalidSearch, notSupported } from "./errors.ts";
import { checkTargetType, resolveModifier } from "./modifiers.ts";
import { parseClauseValues } from "./values.ts";

/** Search features of R4 that Flint does not implement, rejected even when a definition exists. */
export const UNSUPPORTED_PARAMETERS: ReadonlySet<string> = new Set([
  "_contained",
  "_containedType",
  "_query",
  "_filter",
  "_text",
  "_content",
  "_list",
]);

/**
 * Builds the clause for one parameter occurrence of a search on `resourceType`.
 *
 * `name` is read in this order: a leading `_has:Type:reference:` starts a reverse chain whose
 * rest is parsed against `Type`. Otherwise a `.` ends a chain hop `reference[:Type]` whose rest
 * is parsed against the target type. Otherwise the name is `code[:modifier]`. Hops nest to any
 * depth, so `subject:Patient.organization.name` and nested `_has` both parse.
 *
 * Hint: a chain through a reference parameter with several target types needs a `:[type]`
 * modifier, unless exactly one target type defines the next parameter. A chain clause names one
 * target type, and clauses combine with AND, so the parser cannot fan out into one clause per target.
 */
export function buildClause(resourceType: string, name: string, value: string, context: ParseContext, origin = name): QueryClause {
  if (name.startsWith("_has:")) return buildReverseChain(resourceType, name, value, context, origin);

  const dot = name.indexOf(".");
  if (dot >= 0) return buildChain(resourceType, name.slice(0, dot), name.slice(dot + 1), value, context, origin);

  const [code = "", modifierText, ...extra] = name.split(":");
  const definition = requireDefinition(resourceType, code, context, origin);
  if (extra.length > 0) throw notSupported(`Search parameter "${echo(origin)}" has more than one modifier.`);
  if (definition.type === "special") throw notSupported(`Search parameter "${echo(origin)}" has the type special, which Flint does not support.`);

  const modifier = resolveModifier(definition, modifierText, resourceType, context);
  const parsed = parseClauseValues(definition, modifier, value, origin, context);
  const clause: QueryClause = { kind: "parameter", parameter: code, type: definition.type, values: parsed.values };
  if (modifier !== undefined) clause.modifier = modifier;
  if (parsed.missing !== undefined) clause.missing = parsed.missing;
  return clause;
}

function buildChain(
  resourceType: string,
  head: string,
  rest: string,
  value: string,
  context: ParseContext,
  origin: string,
): QueryClause {
  const [code = "", typeText, ...extra] = head.split(":");
  const definition = requireDefinition(resourceType, code, context, origin);
  if (definition.type !== "reference") {
    throw invalidSearch(`Search parameter "${echo(origin)}" chains through "${code}", which is a ${definition.type} parameter, not a reference.`);
  }
  if (extra.length > 0) throw notSupported(`Search parameter "${echo(origin)}" has more than one modifier on "${code}".`);
  if (typeText !== undefined && !/^[A-Z]/.test(typeText)) {
    throw notSupported(`Search parameter "${echo(origin)}": a chained reference takes only a resource type modifier, not ":${echo(typeText)}".`);
  }

  const target = typeText === undefined ? chooseChainTarget(definition, resourceType, rest, context, origin) : checkTargetType(definition, typeText, resourceType, context);
  return { kind: "chain", parameter: code, target, clause: buildClause(target, rest, value, context, origin) };
}

/**
 * Picks the target type of a chain without a `:[type]` modifier: the only target type, or the
 * only target type that defines the next parameter. Anything else is ambiguous.
 */
function chooseChainTarget(
  definition: SearchParameterDefinition,
  resourceType: string,
  rest: string,
  context: ParseContext,
  origin: string,
): string {
  const targets = (definition.target ?? []).filter((target) => isSearchableType(context, target));
  if (targets.length === 1) return targets[0]!;

  const nextCode = rest.split(/[.:]/, 1)[0] ?? "";
  const defining = nextCode === "_has" ? targets : targets.filter((target) => findDefinition(context, target, nextCode) !== undefined);
  if (defining.length === 1) return defining[0]!;
  if (definition.target === undefined || defining.length > 1) {
    const example = defining[0] ?? targets[0] ?? "Patient";
    throw invalidSearch(
      `Search parameter "${echo(origin)}" is an ambiguous chain: "${definition.code}" of ${resourceType} can refer to several resource types. ` +
        `Name one with a type modifier, for example "${definition.code}:${example}.${echo(rest)}".`,
    );
  }
  throw notSupported(`Search parameter "${echo(origin)}": no target type of "${definition.code}" has the search parameter "${echo(nextCode)}".`);
}

/** Builds `_has:Type:reference:rest`, where `reference` is a parameter of `Type` that points to `resourceType`. */
function buildReverseChain(resourceType: string, name: string, value: string, context: ParseContext, origin: string): QueryClause {
  const [, sourceType = "", reference = "", ...restParts] = name.split(":");
  const rest = restParts.join(":");
  if (sourceType === "" || reference === "" || rest === "") {
    throw invalidSearch(`Search parameter "${echo(origin)}" is incomplete. Use the form _has:Type:reference:parameter.`);
  }
  if (!isSearchableType(context, sourceType)) {
    throw notSupported(`Search parameter "${echo(origin)}": "${echo(sourceType)}" is not a resource type that Flint can search.`);
  }

  const definition = requireDefinition(sourceType, reference, context, origin);
  if (definition.type !== "reference") {
    throw invalidSearch(`Search parameter "${echo(origin)}": "${reference}" of ${sourceType} is a ${definition.type} parameter, not a reference.`);
  }
  if (definition.target !== undefined && !definition.target.includes(resourceType)) {
    throw invalidSearch(`Search parameter "${echo(origin)}": "${reference}" of ${sourceType} cannot refer to ${resourceType}.`);
  }
  return { kind: "has", resourceType: sourceType, reference, clause: buildClause(sourceType, rest, value, context, origin) };
}

function requireDefinition(resourceType: string, code: string, context: ParseContext, origin: string): SearchParameterDefinition {
  if (UNSUPPORTED_PARAMETERS.has(code)) throw notSupported(`Search parameter "${code}" is not supported.`);
  const definition = findDefinition(context, resourceType, code);
  if (definition === undefined) throw notSupported(`Search parameter "${echo(origin)}" is unknown: ${resourceType} has no search parameter "${echo(code)}".`);
  return definition;
}
