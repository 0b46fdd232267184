import { pick } from "../search-latency/stats.ts";

/** Identifier system of the Patients that the soak writes. */
export const MRN_SYSTEM = "urn:flint:soak:mrn";

/** LOINC vital signs with a UCUM unit, so that the Observations index as tokens and quantities. */
export const VITAL_SIGNS = [
  { code: "8867-4", display: "Heart rate", unit: "/min", low: 50, high: 110 },
  { code: "9279-1", display: "Respiratory rate", unit: "/min", low: 10, high: 24 },
  { code: "8310-5", display: "Body temperature", unit: "Cel", low: 35.5, high: 39.5 },
  { code: "29463-7", display: "Body weight", unit: "kg", low: 3, high: 140 },
] as const;

/** The year that the Observations' `effectiveDateTime` falls in. */
export const OBSERVATION_YEAR = 2024;

type Json = Record<string, unknown>;

let patientCounter = 0;

export function organization(index: number): Json {
  return { resourceType: "Organization", active: true, name: `Soak Clinic ${index}` };
}

/** Builds a Patient with a unique MRN, managed by `organizationId` when given. */
export function patient(random: () => number, organizationId: string | undefined): Json {
  patientCounter += 1;
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  return {
    resourceType: "Patient",
    identifier: [{ system: MRN_SYSTEM, value: `soak-${process.pid}-${patientCounter}` }],
    active: true,
    name: [{ family: "Soak", given: [`Given${patientCounter}`] }],
    gender: pick(random, ["female", "male", "other", "unknown"]),
    birthDate: `${1930 + Math.floor(random() * 90)}-${pad(month)}-${pad(day)}`,
    ...(organizationId === undefined ? {} : { managingOrganization: { reference: `Organization/${organizationId}` } }),
  };
}

/** Builds a final vital-sign Observation of `subject` (a `Patient/id` or a `urn:uuid:` reference). */
export function observation(random: () => number, subject: string): Json {
  const sign = pick(random, VITAL_SIGNS);
  return {
    resourceType: "Observation",
    status: "final",
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "vital-signs" }] }],
    code: { coding: [{ system: "http://loinc.org", code: sign.code, display: sign.display }] },
    subject: { reference: subject },
    effectiveDateTime: randomInstant(random),
    valueQuantity: { value: quantity(random, sign.low, sign.high), unit: sign.unit, system: "http://unitsofmeasure.org", code: sign.unit },
  };
}

/** Returns a changed copy of a resource as read (without `meta`) for an update. */
export function changed(resource: Json, random: () => number): Json {
  const { meta: _meta, ...copy } = structuredClone(resource);
  if (copy.resourceType === "Patient") {
    copy.active = random() < 0.8;
    copy.telecom = [{ system: "phone", value: `555-${String(Math.floor(random() * 10_000)).padStart(4, "0")}`, use: "home" }];
  } else if (copy.resourceType === "Observation") {
    const value = copy.valueQuantity as Json | undefined;
    if (value !== undefined) copy.valueQuantity = { ...value, value: quantity(random, 1, 200) };
    copy.status = pick(random, ["final", "amended", "corrected"]);
  } else {
    copy.active = random() < 0.5;
  }
  return copy;
}

/** Returns a random `effectiveDateTime` in OBSERVATION_YEAR, to the minute, in UTC. */
function randomInstant(random: () => number): string {
  const month = 1 + Math.floor(random() * 12);
  const day = 1 + Math.floor(random() * 28);
  return `${OBSERVATION_YEAR}-${pad(month)}-${pad(day)}T${pad(Math.floor(random() * 24))}:${pad(Math.floor(random() * 60))}:00Z`;
}

function quantity(random: () => number, low: number, high: number): number {
  return Math.round((low + random() * (high - low)) * 10) / 10;
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}
