import { ScanCommand, type DynamoDBDocumentClient, type ScanCommandOutput } from "@aws-sdk/lib-dynamodb";
import type { Resource } from "fhir/r4";
import { decodeBody } from "./body.ts";
import { indexKeys, manifestEntry } from "./index-keys.ts";

/** One inconsistency found in the table, with the item keys involved. */
export interface Finding {
  problem: string;
  keys: string[];
}

type Item = Record<string, unknown> & { pk: string; sk: string };

/**
 * Scans the whole table and reports every place where the derived items disagree with the
 * resource heads: version gaps, heads and latest versions that differ, index items missing or
 * left over, locks, staged versions and transactions that are not finished. Reads bodies only
 * of inline items; resources with sliced bodies get their index checked against `ix` alone.
 */
export async function checkTable(client: DynamoDBDocumentClient, tableName: string): Promise<Finding[]> {
  const items = await scanAll(client, tableName);
  const findings: Finding[] = [];
  const heads = new Map<string, Item>();
  const versions = new Map<string, Item[]>();
  const indexItems = new Map<string, Set<string>>();

  for (const item of items) {
    if (item.pk.startsWith("R#") && item.sk === "CUR") heads.set(item.pk, item);
    else if (item.pk.startsWith("R#") && item.sk.startsWith("V#")) versions.set(item.pk, [...(versions.get(item.pk) ?? []), item]);
    else if (item.pk.startsWith("I#")) {
      const { entry, id } = manifestEntry(item);
      const owner = `R#${typeOfKey(entry)}#${id}`;
      indexItems.set(owner, (indexItems.get(owner) ?? new Set()).add(entry));
    } else if (item.pk === "XO") {
      findings.push({ problem: "transaction still registered as open", keys: [`XO/${item.sk}`] });
    } else if (item.pk.startsWith("X#") && item.sk === "X" && (item.status === "PENDING" || item.status === "COMMITTED")) {
      findings.push({ problem: `transaction left ${String(item.status)}`, keys: [item.pk] });
    }
  }

  for (const [pk, head] of heads) {
    if (head.lock !== undefined) findings.push({ problem: `head locked by transaction ${String(head.lock)}`, keys: [pk] });
    const vid = head.vid as number;
    const list = (versions.get(pk) ?? []).sort((a, b) => (a.vid as number) - (b.vid as number));
    const numbers = list.map((version) => version.vid as number);
    const expected = Array.from({ length: vid }, (_, index) => index + 1);
    if (numbers.join(",") !== expected.join(",")) {
      findings.push({ problem: `versions ${numbers.join(",") || "none"} do not run from 1 to ${vid}`, keys: [pk] });
    }
    const latest = list.find((version) => version.vid === vid);
    if (latest !== undefined && (latest.deleted !== head.deleted || latest.lastUpdated !== head.lastUpdated)) {
      findings.push({ problem: "head and latest version differ", keys: [pk, `${pk}/V#${vid}`] });
    }

    const owned = indexItems.get(pk) ?? new Set<string>();
    indexItems.delete(pk);
    const manifest = new Set((head.ix as string[] | undefined) ?? []);
    let expectedKeys = manifest;
    if (!head.deleted && head.body instanceof Uint8Array) {
      const resource = JSON.parse(decodeBody(head.body)) as Resource & { id: string };
      expectedKeys = new Set(indexKeys(resource));
      if ([...expectedKeys].sort().join("\n") !== [...manifest].sort().join("\n")) {
        findings.push({ problem: "index manifest differs from the keys of the body", keys: [pk] });
      }
    }
    if (head.deleted && owned.size > 0) findings.push({ problem: "deleted resource still has index items", keys: [pk, ...owned] });
    for (const key of expectedKeys) if (!head.deleted && !owned.has(key)) findings.push({ problem: "index item missing", keys: [pk, `I#${key}`] });
    for (const key of owned) if (!head.deleted && !expectedKeys.has(key)) findings.push({ problem: "index item left over", keys: [pk, `I#${key}`] });
  }

  for (const [pk, list] of versions) {
    if (!heads.has(pk)) findings.push({ problem: "versions without a head", keys: [pk, ...list.map((version) => version.sk)] });
  }
  for (const [owner, keys] of indexItems) findings.push({ problem: "index items of a resource without a head", keys: [owner, ...keys] });
  return findings;
}

async function scanAll(client: DynamoDBDocumentClient, tableName: string): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const output: ScanCommandOutput = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }));
    items.push(...((output.Items ?? []) as Item[]));
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/** Resource type named by an index key: `{type}#_all#…`, `T#{type}#…`, or `P#T#{type}#…` for composites. */
function typeOfKey(entry: string): string {
  const parts = entry.split("#");
  if (parts[1] === "_all") return parts[0]!;
  return parts[0] === "P" ? parts[2]! : parts[1]!;
}
