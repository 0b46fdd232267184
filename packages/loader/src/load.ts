import type { LoadOptions } from "./arguments.ts";
import type { HttpDependencies, RetryReason } from "./client.ts";
import type { BundleFile, BundleGroup } from "./files.ts";
import { type BundleResult, type LoadContext, loadBundle } from "./load-bundle.ts";
import { ProgressDisplay, type ProgressStream } from "./progress.ts";
import { MAX_ATTEMPTS } from "./retry.ts";
import type { LoadReport } from "./summary.ts";

/** Explanations of each retry reason, for the first retry log line. */
const RETRY_CAUSES: Record<RetryReason, string> = {
  "503": "the server responded with 503 Service Unavailable",
  "429": "the server responded with 429 Too Many Requests",
  "connection refused": "the connection was refused",
};

/** Services that `runLoad` uses, injected so that tests can replace them. */
export interface LoadDependencies {
  http: HttpDependencies;
  /** Stream for the progress display, normally `process.stderr`. */
  progress: ProgressStream;
}

/**
 * Posts every bundle of every group to the server. Groups run one after another, in order,
 * and within a group at most `options.concurrency` bundles are in flight. When `signal` is
 * aborted, no further bundle is started; the bundles in flight finish and the rest are
 * counted as unsent in the report.
 */
export async function runLoad(groups: readonly BundleGroup[], options: LoadOptions, dependencies: LoadDependencies, signal?: AbortSignal): Promise<LoadReport> {
  const files = groups.flatMap((group) => group.files);
  const startedAt = dependencies.http.now();
  const progress = new ProgressDisplay(dependencies.progress, { bundles: files.length, entries: sumEntries(files) }, dependencies.http.now);
  const report: LoadReport = { results: [], elapsedMs: 0, retries: {}, resentEntries: 0, unsent: { bundles: 0, entries: 0 } };

  const context: LoadContext = {
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    http: dependencies.http,
    onRetry: ({ reason, attempt, delayMs }) => {
      const count = (report.retries[reason] ?? 0) + 1;
      report.retries[reason] = count;
      progress.retried();
      if (count === 1) {
        const seconds = (delayMs / 1000).toFixed(1);
        progress.log(`Retrying in ${seconds} s because ${RETRY_CAUSES[reason]} (attempt ${attempt + 1} of ${MAX_ATTEMPTS}). Later retries are only counted.`);
      }
    },
    onResend: (entryCount: number) => {
      report.resentEntries += entryCount;
      progress.retried();
    },
  };

  progress.start();
  for (const group of groups) {
    const groupResults: BundleResult[] = [];
    const unstarted = await runPool(group.files, options.concurrency, signal, async (file, position) => {
      groupResults[position] = await loadBundle(file, context);
      progress.bundleDone(file.entryCount);
    });
    report.results.push(...groupResults.filter((result) => result !== undefined));
    report.unsent.bundles += unstarted.length;
    report.unsent.entries += sumEntries(unstarted);
  }
  progress.stop();

  report.elapsedMs = dependencies.http.now() - startedAt;
  return report;
}

/**
 * Runs `worker` on `items` with at most `concurrency` calls in flight and returns the items
 * that were never started because `signal` was aborted. A worker must not throw.
 */
async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal | undefined,
  worker: (item: T, position: number) => Promise<void>,
): Promise<T[]> {
  let next = 0;
  const runWorker = async () => {
    while (next < items.length && signal?.aborted !== true) {
      const position = next++;
      await worker(items[position]!, position);
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, runWorker));
  return items.slice(next);
}

function sumEntries(files: readonly BundleFile[]): number {
  return files.reduce((sum, file) => sum + file.entryCount, 0);
}
