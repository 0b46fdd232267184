/** Read and write capacity units of one call or a sum of calls, as DynamoDB reported them. */
export interface Capacity {
  read: number;
  write: number;
}

const READ_COMMANDS = new Set(["GetCommand", "QueryCommand", "ScanCommand", "BatchGetCommand", "TransactGetCommand"]);

interface ConsumedCapacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/**
 * Returns the units in a response's `ConsumedCapacity` (an object, or a list for batch and
 * transaction calls). When the response gives only `CapacityUnits`, they count as read units
 * for read commands and write units for the others.
 */
export function capacityOf(commandName: string, output: unknown): Capacity {
  const consumed = (output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] } | undefined)?.ConsumedCapacity;
  const entries = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed];
  const isRead = READ_COMMANDS.has(commandName);
  const total: Capacity = { read: 0, write: 0 };
  for (const entry of entries) {
    if (entry.ReadCapacityUnits !== undefined || entry.WriteCapacityUnits !== undefined) {
      total.read += entry.ReadCapacityUnits ?? 0;
      total.write += entry.WriteCapacityUnits ?? 0;
    } else if (isRead) {
      total.read += entry.CapacityUnits ?? 0;
    } else {
      total.write += entry.CapacityUnits ?? 0;
    }
  }
  return total;
}

export function addCapacity(a: Capacity, b: Capacity): Capacity {
  return { read: a.read + b.read, write: a.write + b.write };
}

/**
 * Estimates the write request units that `TransactWriteItems` costs on AWS: two per KB of each
 * item put (rounded up per item), and two per update, delete or condition check, which this
 * estimate assumes touch items under 1 KB. Item sizes follow the DynamoDB rules: attribute
 * names and values in UTF-8 bytes, numbers about one byte per two digits, plus list and map
 * overhead.
 *
 * NOTE: writes to global secondary indexes are left out, so for items with GSI keys (Flint's
 * version items) AWS charges more than this estimate.
 */
export function awsTransactionWriteUnits(input: Record<string, unknown>): number {
  const actions = (input.TransactItems ?? []) as Record<string, { Item?: Record<string, unknown> }>[];
  let units = 0;
  for (const action of actions) {
    const item = action.Put?.Item;
    units += 2 * (item === undefined ? 1 : Math.max(1, Math.ceil(itemBytes(item) / 1024)));
  }
  return units;
}

function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

function valueBytes(value: unknown): number {
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number") return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, "").length / 2) + 1;
  if (typeof value === "boolean" || value === null || value === undefined) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, element) => sum + 1 + valueBytes(element), 0);
  if (value instanceof Set) return [...value].reduce((sum: number, element) => sum + valueBytes(element), 0);
  if (typeof value === "object") return 3 + Object.entries(value).reduce((sum, [name, element]) => sum + 1 + Buffer.byteLength(name) + valueBytes(element), 0);
  return 0;
}
