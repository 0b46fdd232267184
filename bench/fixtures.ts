import path from "node:path";

/** Returns the Synthea fixtures folder: `synthea-r4-blaze` in FLINT_FIXTURES, or in ../shared/fixtures beside the repository. */
export function syntheaFolder(repositoryRoot: string): string {
  return path.resolve(repositoryRoot, process.env.FLINT_FIXTURES ?? "../shared/fixtures", "synthea-r4-blaze");
}
