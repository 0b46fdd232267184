export { DEFAULT_BASE_URL, parseArguments, UsageError, USAGE, type LoadOptions, type ParsedArguments } from "./arguments.ts";
export { defaultHttpDependencies, postBundle, type HttpDependencies, type PostOptions, type PostResult, type RetryEvent } from "./client.ts";
export { parseBundle, readGroups, type BundleFile, type BundleGroup, type BundleType } from "./files.ts";
export { loadBundle, type BundleFailure, type BundleResult, type EntryResult, type LoadContext } from "./load-bundle.ts";
export { runLoad, type LoadDependencies } from "./load.ts";
export { exitCodeFor, formatSummary, type LoadReport } from "./summary.ts";
