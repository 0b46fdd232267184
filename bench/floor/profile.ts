import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/** The parts of a V8 `.cpuprofile` that the summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Names the package of a script URL: a folder of `packages/`, an npm package, Node's own code, or V8 itself. */
function packageOf(url: string, repositoryRoot: string): string {
  if (url === "") return "(V8, GC, idle)";
  if (url.startsWith("node:")) return "node";
  const file = url.startsWith("file://") ? new URL(url).pathname : url;
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (npm !== null) return npm[1]!;
  const relative = path.relative(repositoryRoot, file);
  const workspace = /^packages\/([^/]+)/.exec(relative);
  return workspace === null ? relative : `@flint/${workspace[1]}`;
}

/** Self time by package and by function of one profile, in microseconds, without idle samples. */
function selfTimes(profile: CpuProfile, repositoryRoot: string) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  profile.samples.forEach((nodeId, index) => {
    const frame = nodes.get(nodeId);
    const micros = profile.timeDeltas[index] ?? 0;
    if (frame === undefined) return;
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    if (frame.url === "" && name === "(idle)") return;
    const owner = frame.url === "" ? `(${name})` : packageOf(frame.url, repositoryRoot);
    busy += micros;
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + micros);
    const where = frame.url === "" ? owner : `${owner} ${name} (${path.basename(frame.url)}:${frame.lineNumber + 1})`;
    byFunction.set(where, (byFunction.get(where) ?? 0) + micros);
  });
  return { busy, byPackage, byFunction };
}

/**
 * Summarizes the busiest `.cpuprofile` in `folder`, which is the server's main thread (tsx
 * writes another for its loader thread): self time by package, and the 25 functions with the
 * most self time, as shares of the busy time. Sample times come from `timeDeltas`, in
 * microseconds.
 */
export function summarizeProfiles(folder: string, repositoryRoot: string): string {
  if (!existsSync(folder)) return `No CPU profile was written to ${folder}.`;
  const profiles = readdirSync(folder)
    .filter((name) => name.endsWith(".cpuprofile"))
    .map((name) => selfTimes(JSON.parse(readFileSync(path.join(folder, name), "utf8")) as CpuProfile, repositoryRoot));
  if (profiles.length === 0) return `No CPU profile was written to ${folder}.`;
  const main = profiles.reduce((busiest, profile) => (profile.busy > busiest.busy ? profile : busiest));
  const top = (map: Map<string, number>, count: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, micros]) => `| ${name} | ${((100 * micros) / main.busy).toFixed(1)} % | ${(micros / 1e6).toFixed(2)} s |`);
  return [
    `CPU profile of the server's main thread: ${(main.busy / 1e6).toFixed(1)} s busy (idle samples left out).`,
    "",
    "| package | self time | |",
    "| --- | --- | --- |",
    ...top(main.byPackage, 15),
    "",
    "| function | self time | |",
    "| --- | --- | --- |",
    ...top(main.byFunction, 25),
  ].join("\n");
}
