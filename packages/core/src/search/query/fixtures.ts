/**
 * Hand-written search parameter definitions for the parser and matcher tests. They mirror a
 * subset of the R4 SearchParameter resources (codes, types, targets and components), so that the
 * tests do not depend on the generated table.
 */
import type { SearchParameterDefinition } from "../model.ts";

const COMMON: SearchParameterDefinition[] = [
  { code: "_id", type: "token", expression: "Resource.id" },
  { code: "_lastUpdated", type: "date", expression: "Resource.meta.lastUpdated" },
  { code: "_tag", type: "token", expression: "Resource.meta.tag" },
  { code: "_profile", type: "uri", expression: "Resource.meta.profile" },
  { code: "_security", type: "token", expression: "Resource.meta.security" },
  { code: "_source", type: "uri", expression: "Resource.meta.source" },
  { code: "_text", type: "string", expression: "" },
  { code: "_content", type: "string", expression: "" },
];

const BY_TYPE: Record<string, SearchParameterDefinition[]> = {
  Patient: [
    { code: "name", type: "string", expression: "Patient.name" },
    { code: "family", type: "string", expression: "Patient.name.family" },
    { code: "given", type: "string", expression: "Patient.name.given" },
    { code: "gender", type: "token", expression: "Patient.gender" },
    { code: "birthdate", type: "date", expression: "Patient.birthDate" },
    { code: "identifier", type: "token", expression: "Patient.identifier" },
    {
      code: "general-practitioner",
      type: "reference",
      expression: "Patient.generalPractitioner",
      target: ["Organization", "Practitioner", "PractitionerRole"],
    },
    { code: "organization", type: "reference", expression: "Patient.managingOrganization", target: ["Organization"] },
    { code: "link", type: "reference", expression: "Patient.link.other", target: ["Patient", "RelatedPerson"] },
  ],
  Practitioner: [
    { code: "name", type: "string", expression: "Practitioner.name" },
    { code: "family", type: "string", expression: "Practitioner.name.family" },
    { code: "identifier", type: "token", expression: "Practitioner.identifier" },
  ],
  PractitionerRole: [
    { code: "practitioner", type: "reference", expression: "PractitionerRole.practitioner", target: ["Practitioner"] },
  ],
  Organization: [
    { code: "name", type: "string", expression: "Organization.name" },
    { code: "identifier", type: "token", expression: "Organization.identifier" },
  ],
  RelatedPerson: [{ code: "name", type: "string", expression: "RelatedPerson.name" }],
  Group: [{ code: "code", type: "token", expression: "Group.code" }],
  Device: [{ code: "device-name", type: "string", expression: "Device.deviceName.name" }],
  Location: [
    { code: "name", type: "string", expression: "Location.name" },
    { code: "near", type: "special", expression: "Location.position" },
  ],
  Encounter: [{ code: "subject", type: "reference", expression: "Encounter.subject", target: ["Group", "Patient"] }],
  Observation: [
    { code: "code", type: "token", expression: "Observation.code" },
    { code: "subject", type: "reference", expression: "Observation.subject", target: ["Group", "Device", "Patient", "Location"] },
    { code: "patient", type: "reference", expression: "Observation.subject.where(resolve() is Patient)", target: ["Patient"] },
    { code: "encounter", type: "reference", expression: "Observation.encounter", target: ["Encounter"] },
    { code: "date", type: "date", expression: "Observation.effective" },
    { code: "value-quantity", type: "quantity", expression: "(Observation.value as Quantity)" },
    {
      code: "code-value-quantity",
      type: "composite",
      expression: "Observation",
      components: [
        { code: "code", type: "token", expression: "code" },
        { code: "value-quantity", type: "quantity", expression: "value.as(Quantity)" },
      ],
    },
    {
      code: "component-code-value-quantity",
      type: "composite",
      expression: "Observation.component",
      components: [
        { code: "component-code", type: "token", expression: "code" },
        { code: "component-value-quantity", type: "quantity", expression: "value.as(Quantity)" },
      ],
    },
  ],
  AuditEvent: [
    { code: "action", type: "token", expression: "AuditEvent.action" },
    { code: "entity", type: "reference", expression: "AuditEvent.entity.what" },
  ],
  ValueSet: [
    { code: "url", type: "uri", expression: "ValueSet.url" },
    { code: "version", type: "token", expression: "ValueSet.version" },
  ],
  RiskAssessment: [
    { code: "probability", type: "number", expression: "RiskAssessment.prediction.probability" },
    { code: "subject", type: "reference", expression: "RiskAssessment.subject", target: ["Group", "Patient"] },
  ],
};

const TABLE = new Map(Object.entries(BY_TYPE).map(([type, list]) => [type, [...COMMON, ...list]]));

/** Search parameters of a resource type in the test subset, `undefined` for other types. */
export function testDefinitions(resourceType: string): readonly SearchParameterDefinition[] | undefined {
  return TABLE.get(resourceType);
}
