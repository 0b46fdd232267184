import { readdirSync, readFileSync } from "node:fs";
import { machineSeconds, processSeconds } from "../search-latency/cpu.ts";

/** Processes whose CPU time the soak reports, by role. */
export interface CpuRoles {
  server: number[];
  store: number[];
  clients: number[];
}

/** CPU seconds used by each role, and by the whole machine, at one moment. */
export interface CpuSnapshot {
  at: number;
  machine: number;
  roles: Record<keyof CpuRoles, number>;
}

/** Cores used on average between two snapshots (CPU seconds per second), per role and by everything else. */
export type CpuUse = Record<keyof CpuRoles | "other" | "machine", number>;

/** Reads the CPU time of each role's processes and of the machine from /proc. */
export function snapshotCpu(roles: CpuRoles): CpuSnapshot {
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + (processSeconds(pid) ?? 0), 0);
  return {
    at: performance.now(),
    machine: machineSeconds(),
    roles: { server: sum(roles.server), store: sum(roles.store), clients: sum(roles.clients) },
  };
}

/** Returns the cores used between two snapshots; "other" is the machine minus the three roles. */
export function cpuBetween(first: CpuSnapshot, last: CpuSnapshot): CpuUse {
  const wall = (last.at - first.at) / 1000;
  const rate = (from: number, to: number) => Math.max(0, (to - from) / wall);
  const server = rate(first.roles.server, last.roles.server);
  const store = rate(first.roles.store, last.roles.store);
  const clients = rate(first.roles.clients, last.roles.clients);
  const machine = rate(first.machine, last.machine);
  return { server, store, clients, machine, other: Math.max(0, machine - server - store - clients) };
}

/**
 * Finds the processes of a PostgreSQL server by its port: the postmaster, whose command line
 * has `-p PORT`, and its children, the backends and background workers.
 */
export function findPostgresPids(port: number): number[] {
  const processes = listProcesses();
  const postmaster = processes.find(({ args }) => args.some((arg, index) => arg === "-p" && args[index + 1] === String(port)) && args.some((arg) => arg.endsWith("/postgres")));
  if (postmaster === undefined) return [];
  return [postmaster.pid, ...processes.filter((process) => process.parent === postmaster.pid).map((process) => process.pid)];
}

function listProcesses(): { pid: number; parent: number; args: string[] }[] {
  const processes: { pid: number; parent: number; args: string[] }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      processes.push({ pid: Number(name), parent, args: readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0") });
    } catch {
      // The process exited while the list was read.
    }
  }
  return processes;
}
