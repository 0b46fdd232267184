import { ScanCommand, type ScanCommandOutput } from "@aws-sdk/lib-dynamodb";
import type { Resource } from "fhir/r4";
import { asUpdate, batchWrite, transactWrite, MAX_TRANSACT_ACTIONS } from "./actions.ts";
import { loadBody } from "./bodies.ts";
import { indexItemWrite, indexKeys } from "./index-keys.ts";
import { withRetries } from "./retry.ts";
import type { HeadItem, Store } from "./store.ts";

export interface ReindexReport {
  /** Resource heads read. */
  scanned: number;
  /** Heads whose index items changed. */
  updated: number;
  /** Heads left alone because a transaction held them or a write changed them meanwhile; run again. */
  skipped: number;
}

/**
 * Rebuilds the index items of every resource from its current body, for example after the
 * search parameter definitions changed. Each resource's new items, its manifest and the
 * removal of its stale items commit in one transaction conditioned on the version read, so a
 * concurrent write is never overwritten; such resources are skipped and counted.
 */
export async function reindexTable(store: Store): Promise<ReindexReport> {
  const report: ReindexReport = { scanned: 0, updated: 0, skipped: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const output: ScanCommandOutput = await withRetries(() =>
      store.client.send(
        new ScanCommand({
          TableName: store.tableName,
          FilterExpression: "#sk = :cur",
          ExpressionAttributeNames: { "#sk": "sk" },
          ExpressionAttributeValues: { ":cur": "CUR" },
          ExclusiveStartKey: startKey,
        }),
      ),
    );
    for (const item of output.Items ?? []) {
      report.scanned++;
      const outcome = await reindexHead(store, item as unknown as HeadItem);
      if (outcome !== "unchanged") report[outcome]++;
    }
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined);
  return report;
}

async function reindexHead(store: Store, head: HeadItem): Promise<"updated" | "skipped" | "unchanged"> {
  if (head.lock !== undefined || head.vid === 0) return "skipped";
  const expected = head.deleted ? [] : indexKeys(JSON.parse(await loadBody(store, head.resourceType, head.id, head)) as Resource & { id: string });
  const current = new Set(head.ix ?? []);
  const added = expected.filter((entry) => !current.has(entry));
  const removed = [...current].filter((entry) => !expected.includes(entry));
  if (added.length === 0 && removed.length === 0) return "unchanged";

  const manifest = asUpdate(
    store.service.entities.resource
      .update({ resourceType: head.resourceType, id: head.id })
      .set({ ix: expected })
      .where((attributes, { eq, notExists }) => `${eq(attributes.vid, head.vid)} AND ${notExists(attributes.lock)}`)
      .params(),
  );
  const puts = added.map((entry) => indexItemWrite(store, entry, head.id, "put"));
  const deletes = removed.map((entry) => indexItemWrite(store, entry, head.id, "delete"));
  if (puts.length + deletes.length < MAX_TRANSACT_ACTIONS) {
    const outcome = await transactWrite(store, [...puts, ...deletes, manifest]);
    return outcome.committed ? "updated" : "skipped";
  }

  // Too many changes for one transaction: new items first, then the manifest, then the stale items.
  await batchWrite(store, puts);
  const outcome = await transactWrite(store, [manifest]);
  if (!outcome.committed) return "skipped";
  await batchWrite(store, deletes);
  return "updated";
}
