export * from "./outcome.ts";
export * from "./ids.ts";
export * from "./datetime.ts";
export { validateResource, isResourceType, RESOURCE_TYPES } from "./validation/index.ts";
export { minifyJson, prettyJson, RawJson, setIdAndMeta, stringifyWithRaw } from "./json/text.ts";
