export type * from "./repository.ts";
export { OperationError } from "./repository.ts";
export { stampVersion } from "./stamp.ts";
