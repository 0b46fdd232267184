import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Folder of the shared FHIR fixtures: `FLINT_FIXTURES`, or `../shared/fixtures` beside the repository. */
export const fixturesRoot = path.resolve(repositoryRoot, process.env.FLINT_FIXTURES ?? "../shared/fixtures");

/**
 * Returns the absolute path of a fixture folder, or undefined after printing why the suite that
 * needs it is skipped.
 */
export function fixtureFolder(relative: string, suite: string): string | undefined {
  const folder = path.join(fixturesRoot, relative);
  if (existsSync(folder)) return folder;
  console.warn(`Skipping ${suite}: ${folder} does not exist. Set FLINT_FIXTURES to the shared fixtures folder.`);
  return undefined;
}
