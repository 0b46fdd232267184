export * from "./outcome.ts";
export * from "./ids.ts";
export * from "./datetime.ts";
export { validateResource, isResourceType, RESOURCE_TYPES } from "./validation/index.ts";
export { arrayElements, memberText, objectMembers, minifyJson, prettyJson, RawJson, replaceStrings, setIdAndMeta, stringifyWithRaw } from "./json/text.ts";
export * from "./search/index.ts";
export { replaceTypedStrings, type StringPlace } from "./json/typed-strings.ts";
export { isRequiredElement } from "./elements.ts";
export { summarizeMember } from "./summary.ts";
