export type * from "./repository.ts";
export { OperationError } from "./repository.ts";
export { stampVersion, storedResource } from "./stamp.ts";
