import { FhirError } from "../../outcome.ts";

/** Maximum length of client input echoed back in a diagnostic. */
const MAX_ECHO_LENGTH = 64;

/** Shortens client input for a diagnostic, so a huge value cannot bloat the OperationOutcome. */
export function echo(text: string): string {
  return text.length <= MAX_ECHO_LENGTH ? text : `${text.slice(0, MAX_ECHO_LENGTH)}…`;
}

/** Builds the 400 `invalid` error for a value that does not parse as its parameter's type. */
export function invalidValue(parameter: string, value: string, reason: string): FhirError {
  return new FhirError("invalid", `Search parameter "${echo(parameter)}" has an invalid value "${echo(value)}": ${reason}.`);
}

/** Builds the 400 `invalid` error for a search that is well formed but cannot mean anything. */
export function invalidSearch(diagnostics: string): FhirError {
  return new FhirError("invalid", diagnostics);
}

/**
 * Builds the `not-supported` error for a parameter, modifier or feature that Flint does not
 * implement. `parseSearch` raises it under strict handling and turns it into a warning under
 * lenient handling.
 */
export function notSupported(diagnostics: string): FhirError {
  return new FhirError("not-supported", diagnostics);
}
