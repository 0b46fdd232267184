import { randomUUID } from "node:crypto";
import * as documentCommands from "@aws-sdk/lib-dynamodb";
import { GetCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { addCapacity, awsTransactionWriteUnits, capacityOf, type Capacity } from "./capacity.ts";
import type { Captured, Workload } from "./capture.ts";
import type { FloorOperation } from "./drive.ts";
import { toWaves, type RecordedCommand } from "./record.ts";
import { substitute } from "./substitute.ts";

type CommandClass = new (input: Record<string, unknown>) => Parameters<DynamoDBDocumentClient["send"]>[0];

/** Sends one recorded command again, with `ReturnConsumedCapacity: "TOTAL"` and a fresh `ClientRequestToken` when it had one. */
async function replay(client: DynamoDBDocumentClient, command: Pick<RecordedCommand, "name" | "input">): Promise<Capacity> {
  const Command = (documentCommands as unknown as Record<string, CommandClass>)[command.name];
  if (Command === undefined) throw new Error(`Cannot replay ${command.name}: @aws-sdk/lib-dynamodb has no such command.`);
  const input: Record<string, unknown> = { ...command.input, ReturnConsumedCapacity: "TOTAL" };
  // DynamoDB returns the earlier result for a token it saw within 10 minutes, without writing.
  if (input.ClientRequestToken !== undefined) input.ClientRequestToken = randomUUID();
  return capacityOf(command.name, await client.send(new Command(input)));
}

/** Replays recorded commands wave by wave, each wave's commands at once, and returns the capacity they consumed. */
async function replayWaves(client: DynamoDBDocumentClient, waves: readonly (readonly Pick<RecordedCommand, "name" | "input">[])[]): Promise<Capacity> {
  let total: Capacity = { read: 0, write: 0 };
  for (const wave of waves) {
    for (const used of await Promise.all(wave.map((command) => replay(client, command)))) total = addCapacity(total, used);
  }
  return total;
}

/** The floor operations of one store, by row of the result table, and what they replay. */
export interface FloorPlan {
  operations: { name: string; interaction: string; description: string; run: FloorOperation }[];
  /** Capacity of each interaction as Flint consumed it while it was recorded. */
  flintCapacity: Record<string, Capacity>;
  /** Estimated AWS write units of the recorded transactions, by interaction. */
  awsWriteUnits: Record<string, number>;
  /** Call names per interaction, such as `BatchGetCommand, TransactWriteCommand`. */
  calls: Record<string, string>;
  /** `ConsumedCapacity` of each recorded call as DynamoDB returned it, by interaction. */
  consumed: Record<string, unknown[]>;
}

function onlyCommand(calls: readonly RecordedCommand[], name: string, label: string): RecordedCommand {
  const matching = calls.filter((call) => call.name === name);
  if (matching.length !== 1) throw new Error(`The recorded ${label} sent ${matching.length} ${name}s, not one: ${calls.map((call) => call.name).join(", ")}.`);
  return matching[0]!;
}

function sumCapacity(calls: readonly RecordedCommand[]): Capacity {
  return calls.reduce((total, call) => addCapacity(total, call.capacity), { read: 0, write: 0 });
}

/** Builds the DynamoDB floor operations from the recorded calls. Workers of the update operations own one Patient each. */
export function dynamoDbFloor(client: DynamoDBDocumentClient, workload: Workload, captured: Captured<RecordedCommand>): FloorPlan {
  let nextRead = 0;
  let nextSearch = 0;
  const readWaves = captured.reads.map((calls) => toWaves(calls));
  const searchWaves = captured.searches.map((calls) => toWaves(calls));

  // The head item that each read fetches, from the key of its recorded BatchGetItem (or GetItem).
  const headGets = captured.reads.map((calls) => {
    const call = calls[0]!;
    if (call.name === "GetCommand") return call.input;
    const [tableName, request] = Object.entries((call.input.RequestItems ?? {}) as Record<string, { Keys: unknown[] }>)[0]!;
    return { TableName: tableName, Key: request.Keys[0], ConsistentRead: true };
  });

  const createWrite = onlyCommand(captured.create.calls, "TransactWriteCommand", "create");
  const updateWrite = onlyCommand(captured.update, "TransactWriteCommand", "update");
  const updateWaves = toWaves(captured.update);
  const recordedId = captured.create.id;
  const versions = workload.floorUpdateIds.map(() => 1);
  const versionsOfFullUpdate = workload.floorUpdateIds.map(() => 1);
  const fullUpdateIds = workload.floorUpdateIds.slice(workload.floorUpdateIds.length / 2);
  const updateIds = workload.floorUpdateIds.slice(0, workload.floorUpdateIds.length / 2);

  return {
    operations: [
      {
        name: "read",
        interaction: "read",
        description: "GetItem (consistent) of the CUR item",
        run: async () => {
          const input = headGets[nextRead++ % headGets.length]!;
          return capacityOf("GetCommand", await client.send(new GetCommand({ ...(input as ConstructorParameters<typeof GetCommand>[0]), ReturnConsumedCapacity: "TOTAL" })));
        },
      },
      {
        name: "read, as recorded",
        interaction: "read",
        description: "the recorded calls",
        run: () => replayWaves(client, readWaves[nextRead++ % readWaves.length]!),
      },
      {
        name: "create",
        interaction: "create",
        description: "TransactWriteItems of the recorded create, with a new id",
        run: () => replay(client, substitute(createWrite, recordedId, randomUUID())),
      },
      {
        name: "update",
        interaction: "update",
        description: "TransactWriteItems of the recorded update, on the worker's Patient",
        run: async (worker) => {
          const id = updateIds[worker % updateIds.length]!;
          const slot = worker % updateIds.length;
          const used = await replay(client, substitute(updateWrite, recordedId, id, versions[slot]! - 1));
          versions[slot]! += 1;
          return used;
        },
      },
      {
        name: "update, as recorded",
        interaction: "update",
        description: "the recorded calls (head read, then the transaction), on the worker's Patient",
        run: async (worker) => {
          const slot = worker % fullUpdateIds.length;
          const id = fullUpdateIds[slot]!;
          const used = await replayWaves(client, updateWaves.map((wave) => wave.map((call) => substitute(call, recordedId, id, versionsOfFullUpdate[slot]! - 1))));
          versionsOfFullUpdate[slot]! += 1;
          return used;
        },
      },
      {
        name: "search",
        interaction: "search",
        description: "the recorded calls",
        run: () => replayWaves(client, searchWaves[nextSearch++ % searchWaves.length]!),
      },
    ],
    flintCapacity: {
      read: sumCapacity(captured.reads[0]!),
      create: sumCapacity(captured.create.calls),
      update: sumCapacity(captured.update),
      search: averageCapacity(captured.searches),
    },
    awsWriteUnits: { create: awsTransactionWriteUnits(createWrite.input), update: awsTransactionWriteUnits(updateWrite.input) },
    consumed: {
      read: captured.reads[0]!.map((call) => call.consumed),
      create: captured.create.calls.map((call) => call.consumed),
      update: captured.update.map((call) => call.consumed),
    },
    calls: {
      read: describeCalls(captured.reads[0]!),
      create: describeCalls(captured.create.calls),
      update: describeCalls(captured.update),
      search: describeCalls(captured.searches[0]!),
    },
  };
}

function averageCapacity(recordings: readonly RecordedCommand[][]): Capacity {
  const total = recordings.reduce((sum, calls) => addCapacity(sum, sumCapacity(calls)), { read: 0, write: 0 });
  return { read: total.read / recordings.length, write: total.write / recordings.length };
}

/** Lists calls by name with their item counts, wave by wave: `BatchGet(1 keys) → TransactWrite(9 items)`. */
function describeCalls(calls: readonly RecordedCommand[]): string {
  return toWaves(calls)
    .map((wave) => wave.map((call) => `${call.name.replace(/Command$/, "")}${itemCount(call)}`).join(" + "))
    .join(" → ");
}

function itemCount(call: RecordedCommand): string {
  if (Array.isArray(call.input.TransactItems)) return `(${call.input.TransactItems.length} items)`;
  const requests = call.input.RequestItems as Record<string, { Keys?: unknown[] }> | undefined;
  if (requests !== undefined) return `(${Object.values(requests).reduce((sum, request) => sum + (request.Keys?.length ?? 0), 0)} keys)`;
  return "";
}
