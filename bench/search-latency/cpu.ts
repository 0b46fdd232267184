import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";

/** CPU time in seconds, read from Linux's /proc at one moment. */
export interface CpuSample {
  at: number;
  /** Busy time of the whole machine: user, nice, system, irq and softirq, without steal. */
  machine: number;
  /** This Node process. */
  flint: number;
  /** The DynamoDB Local Java process, when it was found. */
  dynamoDbLocal: number | undefined;
}

/** CPU use between two samples, in cores (CPU seconds per second of wall time). */
export interface CpuUse {
  machine: number;
  flint: number;
  dynamoDbLocal: number | undefined;
  /** Everything else on the machine: other tests, builds, the editor. */
  other: number | undefined;
}

const ticksPerSecond = readTicksPerSecond();

/** Takes a sample, or returns undefined where /proc is missing (not Linux). */
export function sampleCpu(javaPid: number | undefined): CpuSample | undefined {
  if (!existsSync("/proc/stat")) return undefined;
  return {
    at: performance.now(),
    machine: machineSeconds(),
    flint: processSeconds("self") ?? 0,
    dynamoDbLocal: javaPid === undefined ? undefined : processSeconds(javaPid),
  };
}

/** Returns the CPU seconds the whole machine has spent busy since boot, from the first line of /proc/stat. */
export function machineSeconds(): number {
  const fields = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
  return (user + nice + system + irq + softirq) / ticksPerSecond;
}

/** Returns the CPU use between two samples, or undefined when either is missing. */
export function cpuUseBetween(first: CpuSample | undefined, last: CpuSample | undefined): CpuUse | undefined {
  if (first === undefined || last === undefined) return undefined;
  const wall = (last.at - first.at) / 1000;
  const rate = (from: number, to: number) => (to - from) / wall;
  const machine = rate(first.machine, last.machine);
  const flint = rate(first.flint, last.flint);
  const dynamoDbLocal = first.dynamoDbLocal === undefined || last.dynamoDbLocal === undefined ? undefined : rate(first.dynamoDbLocal, last.dynamoDbLocal);
  return { machine, flint, dynamoDbLocal, other: dynamoDbLocal === undefined ? undefined : Math.max(0, machine - flint - dynamoDbLocal) };
}

/**
 * Finds the DynamoDB Local Java process listening on `port` by its command line, because
 * `startDynamoDbLocal` does not return the child's pid.
 */
export function findDynamoDbLocalPid(port: number): number | undefined {
  if (!existsSync("/proc")) return undefined;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // The process exited while the list was read.
    }
    const portIndex = args.indexOf("-port");
    if (args.some((arg) => arg.endsWith("DynamoDBLocal.jar")) && portIndex >= 0 && args[portIndex + 1] === String(port)) return Number(name);
  }
  return undefined;
}

/** User plus system CPU seconds of a process, from fields 14 and 15 of /proc/PID/stat. */
export function processSeconds(pid: number | "self"): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name in brackets may contain spaces, so fields are counted after its `)`.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

function readTicksPerSecond(): number {
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100; // The Linux default, when getconf is missing.
  }
}
