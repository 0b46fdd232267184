import { createHash } from "node:crypto";
import type { Resource } from "fhir/r4";
import { extractIdentifierTokens, type TokenValue } from "@flint/core";
import { historyShard } from "./shard.ts";

/**
 * Index keys name a resource type, a search parameter and one value; each becomes the partition
 * `I#{key}` with one item per resource id. Token values get three keys so that every R4 token
 * form is one partition read (search.html#token):
 *
 * - `{type}#{param}#S#{system}|{code}` for `system|code`, and `|code` (empty system);
 * - `{type}#{param}#C#{code}` for a bare `code`, whatever the system;
 * - `{type}#{param}#Y#{system}` for `system|`.
 *
 * Every resource also has `{type}#_all#{shard}`, which lists all resources of a type in 16
 * partitions for searches without criteria.
 */

/** Keys longer than this are replaced by a hash, well under DynamoDB's 2,048-byte partition key limit. */
const MAX_KEY_LENGTH = 512;

/** Escapes `|` and `%` in a system URI so that `system|code` splits in one place only. */
function encodeSystem(system: string): string {
  return system.replace(/%/g, "%25").replace(/\|/g, "%7C");
}

function bound(key: string): string {
  if (key.length <= MAX_KEY_LENGTH) return key;
  const hash = createHash("sha256").update(key).digest("base64url");
  return `${key.slice(0, key.indexOf("#", key.indexOf("#") + 1) + 1)}h:${hash}`;
}

/** Key of the partition listing all resources of a type in one shard. */
export function typeKey(resourceType: string, shard: number): string {
  return `${resourceType}#_all#${shard}`;
}

/** Index key that a token search value reads. */
export function tokenKey(resourceType: string, parameter: string, value: TokenValue): string {
  if (value.system === undefined) return bound(`${resourceType}#${parameter}#C#${value.code ?? ""}`);
  if (value.code === undefined) return bound(`${resourceType}#${parameter}#Y#${encodeSystem(value.system)}`);
  return bound(`${resourceType}#${parameter}#S#${encodeSystem(value.system)}|${value.code}`);
}

/** Computes the sorted, distinct index keys of a resource version. */
export function indexKeys(resource: Resource & { id: string }): string[] {
  const keys = new Set<string>([typeKey(resource.resourceType, historyShard(resource.id))]);
  for (const token of extractIdentifierTokens(resource)) {
    keys.add(tokenKey(resource.resourceType, "identifier", { system: token.system, code: token.code }));
    keys.add(tokenKey(resource.resourceType, "identifier", { code: token.code }));
    if (token.system !== "") keys.add(tokenKey(resource.resourceType, "identifier", { system: token.system }));
  }
  return [...keys].sort();
}
