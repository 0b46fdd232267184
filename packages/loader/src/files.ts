import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "./arguments.ts";
import { describeEntries, EntryError, type EntryRequest, isObject } from "./entries.ts";

export type BundleType = "batch" | "transaction";

/** A checked bundle file. Its content is read again when it is sent, so none is kept here. */
export interface BundleFile {
  /** Path as built from the command-line argument, used in every message about the file. */
  path: string;
  type: BundleType;
  entryCount: number;
}

/** The files of one command-line argument, loaded together before the next group starts. */
export interface BundleGroup {
  argument: string;
  files: BundleFile[];
}

/** A parsed bundle file: its type and what each request entry does. */
export interface ParsedBundle {
  type: BundleType;
  entries: EntryRequest[];
}

/** Raised when a file is not a batch or transaction Bundle. The message gives the reason but not the file name. */
export class BundleFileError extends Error {
  override name = "BundleFileError";
}

/** Problems listed in a `UsageError` before the rest are counted only. */
const MAX_LISTED_PROBLEMS = 20;

/**
 * Expands each path into a group and checks every file in it, one file in memory at a time.
 * A folder contributes its `*.json` files sorted by name in code-point order (as `LC_ALL=C ls`
 * sorts them), without subfolders and without hidden files such as macOS `._name.json`.
 * Throws one `UsageError` that lists every missing, empty or invalid path.
 */
export async function readGroups(paths: readonly string[]): Promise<BundleGroup[]> {
  const groups: BundleGroup[] = [];
  const problems: string[] = [];

  for (const argument of paths) {
    let filePaths: string[];
    try {
      filePaths = await expandPath(argument);
    } catch (error) {
      problems.push(`${argument}: ${describeFileError(error)}`);
      continue;
    }

    const files: BundleFile[] = [];
    for (const path of filePaths) {
      try {
        const bundle = parseBundle(await readFile(path, "utf8"));
        files.push({ path, type: bundle.type, entryCount: bundle.entries.length });
      } catch (error) {
        problems.push(`${path}: ${describeFileError(error)}`);
      }
    }
    groups.push({ argument, files });
  }

  if (problems.length > 0) {
    const listed = problems.slice(0, MAX_LISTED_PROBLEMS);
    const more = problems.length > listed.length ? `\n  and ${problems.length - listed.length} more` : "";
    throw new UsageError(`Nothing was sent because ${problems.length === 1 ? "a file is" : "files are"} invalid:\n  ${listed.join("\n  ")}${more}`);
  }
  return groups;
}

async function expandPath(path: string): Promise<string[]> {
  const info = await stat(path);
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new BundleFileError("not a file or folder");

  const names = (await readdir(path, { withFileTypes: true }))
    .filter((entry) => !entry.name.startsWith(".") && entry.name.endsWith(".json"))
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => entry.name)
    .sort(compareCodePoints);
  if (names.length === 0) throw new BundleFileError("the folder contains no .json files");
  return names.map((name) => join(path, name));
}

function compareCodePoints(a: string, b: string): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}

/**
 * Parses the text of a bundle file and checks that it is a FHIR Bundle of type `batch` or
 * `transaction` whose entries each have a request (R4 http.html#transaction). Throws a
 * `BundleFileError` otherwise.
 */
export function parseBundle(text: string): ParsedBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new BundleFileError(describeSyntaxError(text, error));
  }

  if (!isObject(value) || value["resourceType"] !== "Bundle") throw new BundleFileError('not a FHIR Bundle (resourceType must be "Bundle")');
  const type = value["type"];
  if (type !== "batch" && type !== "transaction") {
    let found = "not a string";
    if (type === undefined) found = "missing";
    if (typeof type === "string") found = JSON.stringify(type.slice(0, 40));
    throw new BundleFileError(`Bundle.type is ${found}, but only "batch" and "transaction" can be posted`);
  }

  const entries = value["entry"] ?? [];
  if (!Array.isArray(entries)) throw new BundleFileError("Bundle.entry is not an array");
  try {
    return { type, entries: describeEntries(entries) };
  } catch (error) {
    if (error instanceof EntryError) throw new BundleFileError(error.message);
    throw error;
  }
}

/**
 * Describes a JSON syntax error by line and column. The message of `JSON.parse` is not used
 * because V8 quotes the text around the error, which may be patient data.
 */
function describeSyntaxError(text: string, error: unknown): string {
  if (text.startsWith("\uFEFF")) return "not valid JSON: the file starts with a byte order mark, which JSON does not allow";

  const position = error instanceof Error ? /at position (\d+)/.exec(error.message)?.[1] : undefined;
  if (position === undefined) return "not valid JSON";

  const before = text.slice(0, Number(position));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `not valid JSON: syntax error at line ${line}, column ${column}`;
}

/** Describes an error from reading or parsing a bundle file, for messages that name the file. */
export function describeFileError(error: unknown): string {
  if (error instanceof BundleFileError) return error.message;

  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return "not found";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "is a folder";
  return error instanceof Error ? error.message : String(error);
}
