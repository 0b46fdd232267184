export type * from "./repository.ts";
export { stampVersion } from "./stamp.ts";
