import type { Catalogue, LoadedPatient } from "./load.ts";
import { pick, seededRandom } from "./stats.ts";

/** One kind of search, with a request path for each request the benchmark sends. */
export interface QueryKind {
  /** Shown in the results table, with `{…}` where the inputs go. */
  label: string;
  /** Request paths below the FHIR base, such as `/Patient?identifier=…`, one per request. */
  paths: string[];
}

/** Seed of the input picks, fixed so that each run with the same data sends the same requests. */
const SEED = 20_261_204;

/** Years back from the latest vital-signs Observation that the `date=ge` bound is drawn from. */
const RECENT_YEARS = 5;

/**
 * Builds `count` request paths for each kind of search, with inputs drawn from the loaded data:
 * patients in turn, and for each one a code or date that occurs in their own resources, so that
 * most requests have matches. Codes and dates are drawn in proportion to how often they occur.
 */
export function buildQueries(catalogue: Catalogue, count: number): QueryKind[] {
  const random = seededRandom(SEED);
  const withObservations = catalogue.patients.filter((patient) => patient.observationCodes.length > 0);
  const withEncounters = catalogue.patients.filter((patient) => patient.encounterStarts.length > 0);
  const identifiers = catalogue.patients.flatMap((patient) => patient.identifiers);
  const encounterStarts = catalogue.patients.flatMap((patient) => patient.encounterStarts);
  if (withObservations.length === 0 || withEncounters.length === 0 || catalogue.conditionCodes.length === 0 || catalogue.vitalSignDates.length === 0) {
    throw new Error("The loaded patients have no Observations, Encounters or Conditions to query. Load more patients with --patients.");
  }
  const latestVitalSignYear = Math.max(...catalogue.vitalSignDates.map(yearOf));
  const times = <T>(make: (run: number) => T): T[] => Array.from({ length: count }, (_, run) => make(run));

  const observationInputs = times((run) => {
    const patient = withObservations[run % withObservations.length]!;
    return { patient, code: pick(random, patient.observationCodes) };
  });
  const byCode = ({ patient, code }: { patient: LoadedPatient; code: string }) => [
    ["subject", `Patient/${patient.id}`],
    ["code", `http://loinc.org|${code}`],
    ["_sort", "-date"],
  ];
  const vitalSignInputs = times(() => latestVitalSignYear - Math.floor(random() * RECENT_YEARS));
  const vitalSigns = (year: number) => [
    ["category", "vital-signs"],
    ["date", `ge${year}-01-01`],
    ["_count", "50"],
  ];

  return [
    {
      label: "`Patient?identifier={system}|{value}`",
      paths: times(() => {
        const identifier = pick(random, identifiers);
        return searchPath("Patient", [["identifier", `${identifier.system}|${identifier.value}`]]);
      }),
    },
    {
      label: "`Observation?subject=Patient/{id}&code=http://loinc.org|{code}&_sort=-date`",
      paths: observationInputs.map((input) => searchPath("Observation", byCode(input))),
    },
    {
      label: "the same with `&_include=Observation:subject`",
      paths: observationInputs.map((input) => searchPath("Observation", [...byCode(input), ["_include", "Observation:subject"]])),
    },
    {
      label: "`Condition?code=http://snomed.info/sct|{code}`",
      paths: times(() => searchPath("Condition", [["code", `http://snomed.info/sct|${pick(random, catalogue.conditionCodes)}`]])),
    },
    {
      label: "`Encounter?date=ge{year}-01-01&date=lt{year+1}-01-01`",
      paths: times(() => {
        const year = yearOf(pick(random, encounterStarts));
        return searchPath("Encounter", [["date", `ge${year}-01-01`], ["date", `lt${year + 1}-01-01`]]);
      }),
    },
    {
      label: "`Encounter?date=ge{year}-{month}&date=lt{next month}`",
      paths: times(() => {
        const [year, month] = pick(random, encounterStarts).slice(0, 7).split("-").map(Number) as [number, number];
        const next = month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, "0")}`;
        return searchPath("Encounter", [["date", `ge${year}-${String(month).padStart(2, "0")}`], ["date", `lt${next}`]]);
      }),
    },
    {
      label: "`Encounter?subject=Patient/{id}&date=ge{year}-01-01`",
      paths: times((run) => {
        const patient = withEncounters[run % withEncounters.length]!;
        return searchPath("Encounter", [["subject", `Patient/${patient.id}`], ["date", `ge${yearOf(pick(random, patient.encounterStarts))}-01-01`]]);
      }),
    },
    {
      label: "`Observation?category=vital-signs&date=ge{year}-01-01&_count=50`",
      paths: vitalSignInputs.map((year) => searchPath("Observation", vitalSigns(year))),
    },
    {
      label: "the same with `&_total=accurate`",
      paths: vitalSignInputs.map((year) => searchPath("Observation", [...vitalSigns(year), ["_total", "accurate"]])),
    },
  ];
}

function searchPath(type: string, parameters: string[][]): string {
  return `/${type}?${new URLSearchParams(parameters as Array<[string, string]>).toString()}`;
}

function yearOf(dateTime: string): number {
  return Number(dateTime.slice(0, 4));
}
