import type { Capacity } from "./capacity.ts";
import type { LoadFigures } from "./drive.ts";

/**
 * On-demand prices assumed for the cost column, in US dollars per million request units, for
 * the DynamoDB Standard table class in us-east-1. They were not checked against the AWS price
 * list, which changes, so check them before using the cost figures.
 */
export const ASSUMED_PRICES = { writePerMillionUnits: 1.25, readPerMillionUnits: 0.25 };

/** Targets of the ratio Flint/floor of the median latency, by interaction. */
export const TARGETS: Record<string, number> = { read: 1.3, create: 1.5, update: 1.5 };

/** One row of the floor: a replay of the store calls of an interaction. */
export interface FloorRow {
  name: string;
  interaction: string;
  description: string;
  figures: LoadFigures;
}

/** Capacity units of one interaction: as DynamoDB Local reported them, and as estimated for AWS. */
export interface CapacityRow {
  interaction: string;
  calls: string;
  local: Capacity;
  aws: Capacity;
  /** Dollars per million requests at ASSUMED_PRICES, from the AWS estimate. */
  costPerMillion: number;
}

export interface FloorResult {
  command: string;
  date: string;
  store: string;
  /** Server entry: `bundle` for the esbuild bundle that `npm start` runs, `tsx` for the sources. */
  entry: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  machine: { cpu: string; cores: number; node: string; commit: string };
  loadAverageBefore: number[];
  loadAverageAfter: number[];
  seeded: { patients: number; observations: number };
  flint: Record<string, LoadFigures>;
  /** A plain `node:http` server sending a Patient without a store, under the read's load: the HTTP hop alone. */
  httpAlone?: LoadFigures;
  floor: FloorRow[];
  calls: Record<string, string>;
  capacity: CapacityRow[];
  /** `ConsumedCapacity` of the recorded calls as DynamoDB Local returned them. */
  consumed: Record<string, unknown[]>;
  targets: { interaction: string; target: number; ratio: number; met: boolean }[];
}

export function costPerMillion(capacity: Capacity): number {
  return capacity.read * ASSUMED_PRICES.readPerMillionUnits + capacity.write * ASSUMED_PRICES.writePerMillionUnits;
}

/** Computes the median ratio Flint/floor of each interaction that has a target, against its first floor row. */
export function checkTargets(flint: Record<string, LoadFigures>, floor: readonly FloorRow[]): FloorResult["targets"] {
  return Object.entries(TARGETS).flatMap(([interaction, target]) => {
    const row = floor.find((candidate) => candidate.interaction === interaction);
    const figures = flint[interaction];
    if (row === undefined || figures === undefined) return [];
    const ratio = figures.medianMs / row.figures.medianMs;
    return [{ interaction, target, ratio, met: ratio <= target }];
  });
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : "–");
const rate = (value: number) => Math.round(value).toLocaleString("en-US");
const units = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2));

function failureText(figures: LoadFigures): string {
  if (figures.failures === 0) return "0";
  return `${figures.failures} (${Object.entries(figures.outcomes).map(([outcome, count]) => `${outcome}: ${count}`).join(", ")})`;
}

/** Formats the result as Markdown tables: latency and throughput, then capacity and cost, then targets. */
export function formatTables(result: FloorResult): string {
  const lines = [
    `| interaction | Flint median ms | Flint p99 ms | Flint req/s | floor | floor median ms | floor p99 ms | floor req/s | median ratio | failed (Flint / floor) |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
  ];
  for (const row of result.floor) {
    const flint = result.flint[row.interaction];
    if (flint === undefined) continue;
    lines.push(
      `| ${row.name} | ${ms(flint.medianMs)} | ${ms(flint.p99Ms)} | ${rate(flint.throughput)} | ${row.description} | ${ms(row.figures.medianMs)} | ${ms(row.figures.p99Ms)} | ${rate(row.figures.throughput)} | ${(flint.medianMs / row.figures.medianMs).toFixed(2)} | ${failureText(flint)} / ${failureText(row.figures)} |`,
    );
  }
  if (result.httpAlone !== undefined) {
    const plain = result.httpAlone;
    lines.push("", `HTTP alone (plain node:http sending a Patient, no Flint, no store, same load): median ${ms(plain.medianMs)} ms, p99 ${ms(plain.p99Ms)} ms, ${rate(plain.throughput)} req/s, failed ${failureText(plain)}.`);
  }
  lines.push("", "| interaction | store calls of one request |", "| --- | --- |");
  for (const [interaction, calls] of Object.entries(result.calls)) lines.push(`| ${interaction} | ${calls} |`);
  if (result.capacity.length > 0) {
    lines.push(
      "",
      "| interaction | RCU (Local) | WCU (Local) | RRU (AWS estimate) | WRU (AWS estimate) | $ per million requests (AWS estimate) |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const row of result.capacity) {
      lines.push(`| ${row.interaction} | ${units(row.local.read)} | ${units(row.local.write)} | ${units(row.aws.read)} | ${units(row.aws.write)} | ${row.costPerMillion.toFixed(2)} |`);
    }
  }
  lines.push("", "| target | ratio | met |", "| --- | --- | --- |");
  for (const target of result.targets) lines.push(`| ${target.interaction} median ≤ ${target.target}× floor | ${target.ratio.toFixed(2)} | ${target.met ? "yes" : "no"} |`);
  return lines.join("\n");
}
