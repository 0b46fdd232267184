import { parseArguments, USAGE, UsageError } from "./arguments.ts";
import { defaultHttpDependencies } from "./client.ts";
import { readGroups } from "./files.ts";
import { runLoad } from "./load.ts";
import { formatQuantity } from "./format.ts";
import { exitCodeFor, formatSummary } from "./summary.ts";

/** Exit status for invalid arguments or files, when nothing was sent. */
const USAGE_EXIT_CODE = 2;

/**
 * Time within which a second SIGINT counts as the same Ctrl-C, in milliseconds. `npm run`
 * forwards the SIGINT that the terminal also sends to the loader, so one key press can arrive twice.
 */
const REPEATED_SIGNAL_MS = 1000;

/**
 * Entry point behind `npm run load`: checks the arguments and every file, posts the bundles
 * group by group, prints the summary on stdout and exits with the status that `exitCodeFor` picks.
 * The first Ctrl-C lets the bundles in flight finish and skips the rest; a second one exits at once.
 */
async function main(): Promise<number> {
  const parsed = parseArguments(process.argv.slice(2), process.env);
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const options = parsed.options;
  const groups = await readGroups(options.paths);
  const files = groups.flatMap((group) => group.files);
  const bundles = formatQuantity(files.length, "bundle", "bundles");
  const entries = formatQuantity(files.reduce((sum, file) => sum + file.entryCount, 0), "entry", "entries");
  const groupCount = formatQuantity(groups.length, "group", "groups");
  process.stderr.write(`Posting ${bundles} (${entries}) in ${groupCount} to ${options.baseUrl}, at most ${options.concurrency} at a time.\n`);

  const interrupt = new AbortController();
  let interruptedAt: number | undefined;
  process.on("SIGINT", () => {
    const now = Date.now();
    if (interruptedAt === undefined) {
      interruptedAt = now;
      interrupt.abort();
      process.stderr.write("\nInterrupted: waiting for the bundles in flight, then printing the summary. Press Ctrl-C again to quit at once.\n");
    } else if (now - interruptedAt > REPEATED_SIGNAL_MS) {
      process.exit(130);
    }
  });

  const report = await runLoad(groups, options, { http: defaultHttpDependencies, progress: process.stderr }, interrupt.signal);
  process.stdout.write(formatSummary(report));
  return exitCodeFor(report);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\nRun with --help for usage.\n`);
      process.exitCode = USAGE_EXIT_CODE;
      return;
    }
    process.stderr.write(`The loader failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
