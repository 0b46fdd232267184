import type { OperationOutcome, OperationOutcomeIssue } from "fhir/r4";

/** An OperationOutcome issue type code (R4 value set `issue-type`). */
export type IssueCode = OperationOutcomeIssue["code"];

/**
 * Failure kinds that Flint reports, each bound to one HTTP status and one issue code.
 *
 * The table is a `Record` over the union, so adding a kind without a status does not compile.
 * Statuses follow R4 http.html ("Summary" and each interaction's error list).
 */
export const ERROR_KINDS = {
  invalid: { status: 400, code: "invalid" },
  structure: { status: 400, code: "structure" },
  "not-supported": { status: 400, code: "not-supported" },
  "too-costly": { status: 400, code: "too-costly" },
  "not-found": { status: 404, code: "not-found" },
  "method-not-allowed": { status: 405, code: "not-supported" },
  "not-acceptable": { status: 406, code: "not-supported" },
  conflict: { status: 409, code: "conflict" },
  deleted: { status: 410, code: "deleted" },
  "precondition-failed": { status: 412, code: "conflict" },
  "multiple-matches": { status: 412, code: "multiple-matches" },
  "too-large": { status: 413, code: "too-long" },
  "unsupported-media-type": { status: 415, code: "not-supported" },
  "business-rule": { status: 422, code: "business-rule" },
  exception: { status: 500, code: "exception" },
  transient: { status: 503, code: "transient" },
} as const satisfies Record<string, { status: number; code: IssueCode }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** One problem found in a request, located by a FHIRPath expression where one applies. */
export interface Issue {
  severity?: OperationOutcomeIssue["severity"];
  code?: IssueCode;
  diagnostics: string;
  /** FHIRPath of the element at fault, for example `Patient.name[0].given[1]`. */
  expression?: string;
}

/**
 * The one error type of Flint: a failure kind plus the issues that explain it.
 *
 * The API turns it into an OperationOutcome response with the status of its kind.
 * Any other thrown value is treated as a bug and answered with a generic 500.
 */
export class FhirError extends Error {
  readonly kind: ErrorKind;
  readonly issues: readonly Issue[];

  constructor(kind: ErrorKind, issues: string | Issue | readonly Issue[], options?: ErrorOptions) {
    const list = typeof issues === "string" ? [{ diagnostics: issues }] : Array.isArray(issues) ? issues : [issues as Issue];
    super(list.map((issue) => issue.diagnostics).join("; "), options);
    this.name = "FhirError";
    this.kind = kind;
    this.issues = list;
  }

  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }

  /** Formats the error as the OperationOutcome sent to the client. */
  toOperationOutcome(): OperationOutcome {
    return formatOperationOutcome(
      this.issues.map((issue) => ({ ...issue, code: issue.code ?? ERROR_KINDS[this.kind].code })),
    );
  }
}

/** Formats issues as an OperationOutcome resource (R4 operationoutcome.html). */
export function formatOperationOutcome(issues: readonly Issue[]): OperationOutcome {
  return {
    resourceType: "OperationOutcome",
    issue: issues.map((issue) => {
      const formatted: OperationOutcomeIssue = {
        severity: issue.severity ?? "error",
        code: issue.code ?? "processing",
        diagnostics: issue.diagnostics,
      };
      if (issue.expression !== undefined) formatted.expression = [issue.expression];
      return formatted;
    }),
  };
}

/** Formats a single informational issue, as returned by `Prefer: return=OperationOutcome`. */
export function informationOutcome(diagnostics: string): OperationOutcome {
  return formatOperationOutcome([{ severity: "information", code: "informational", diagnostics }]);
}

export function isFhirError(value: unknown): value is FhirError {
  return value instanceof FhirError;
}
