import { parseArgs } from "node:util";

/** Server base URL used when neither `--base` nor `FLINT_BASE_URL` is set. */
export const DEFAULT_BASE_URL = "http://127.0.0.1:8080/fhir";

/** Bundles posted at the same time within one group when `--concurrency` is not given. */
export const DEFAULT_CONCURRENCY = 4;

/** Upper bound of `--concurrency`, so that a typo cannot open thousands of connections. */
export const MAX_CONCURRENCY = 64;

/** Seconds to wait for one response when `--timeout` is not given. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/** Upper bound of `--timeout` in seconds (one hour). */
export const MAX_TIMEOUT_SECONDS = 3600;

export const USAGE = `Usage: npm run load -- <file or folder>... [options]

Posts FHIR R4 Bundles of type batch or transaction from JSON files to a Flint server.
Each argument is a group: a file, or a folder whose *.json files are taken in name order
(subfolders are not read). Groups run one after another, in the order given, so load
organizations and practitioners before the patients that reference them.

Options:
  --base URL         server base URL (default: FLINT_BASE_URL, else ${DEFAULT_BASE_URL})
  --concurrency N    bundles posted at the same time within a group, 1 to ${MAX_CONCURRENCY} (default: ${DEFAULT_CONCURRENCY})
  --timeout SECONDS  time to wait for each response, 1 to ${MAX_TIMEOUT_SECONDS} (default: ${DEFAULT_TIMEOUT_SECONDS})
  -h, --help         print this help

Exit status: 0 when every entry succeeded, 1 when anything failed,
2 for invalid arguments or files (nothing is sent then),
130 when Ctrl-C stopped the load before every bundle was sent.`;

/** Loader settings taken from the command line and the environment. */
export interface LoadOptions {
  /** Paths as given on the command line, one group each, in order. */
  paths: string[];
  /** Server base URL without a trailing slash; bundles are posted to this URL. */
  baseUrl: string;
  concurrency: number;
  timeoutMs: number;
}

/** The parsed command line: either a request for help or the settings of a load. */
export type ParsedArguments = { help: true } | { help: false; options: LoadOptions };

/** Raised for an invalid command line; the message names the option or path at fault. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Parses the command line (without the `node` and script entries) and the environment.
 * Throws a `UsageError` that names the bad option. The paths are not checked here.
 */
export function parseArguments(argv: readonly string[], environment: Record<string, string | undefined>): ParsedArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        base: { type: "string" },
        concurrency: { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }

  const { values, positionals } = parsed;
  if (values.help === true) return { help: true };
  if (positionals.length === 0) throw new UsageError("Missing argument: give at least one bundle file or folder.");

  const environmentBase = environment["FLINT_BASE_URL"];
  const baseUrl =
    values.base !== undefined
      ? parseBaseUrl(values.base, "--base")
      : environmentBase !== undefined && environmentBase !== ""
        ? parseBaseUrl(environmentBase, "FLINT_BASE_URL")
        : DEFAULT_BASE_URL;

  const options: LoadOptions = {
    paths: positionals,
    baseUrl,
    concurrency: values.concurrency === undefined ? DEFAULT_CONCURRENCY : parseWholeNumber(values.concurrency, "--concurrency", MAX_CONCURRENCY),
    timeoutMs: 1000 * (values.timeout === undefined ? DEFAULT_TIMEOUT_SECONDS : parseWholeNumber(values.timeout, "--timeout", MAX_TIMEOUT_SECONDS)),
  };
  return { help: false, options };
}

/** Checks that `text` is an absolute http(s) URL and removes trailing slashes. */
function parseBaseUrl(text: string, name: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Invalid ${name} "${text}": expected an absolute URL such as ${DEFAULT_BASE_URL}.`);
  }

  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`Invalid ${name} "${text}": the URL must start with http:// or https://.`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new UsageError(`Invalid ${name} "${text}": the base URL must not have a query or fragment.`);
  }
  return url.href.replace(/\/+$/, "");
}

function parseWholeNumber(text: string, name: string, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`Invalid ${name} "${text}": expected a whole number from 1 to ${max}.`);

  const value = Number(text);
  if (value < 1 || value > max) throw new UsageError(`Invalid ${name} ${text}: expected a whole number from 1 to ${max}.`);
  return value;
}
