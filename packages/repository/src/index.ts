export type * from "./repository.ts";
