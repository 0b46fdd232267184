import type { Issue } from "../outcome.ts";
import { MAX_ECHOED_CHARACTERS } from "./messages.ts";

/** Issue codes that the structural validator reports. */
export type ValidationIssueCode = "structure" | "value" | "required" | "invalid";

/** Maximum number of issues returned, including the final issue that reports that more were found. */
export const MAX_ISSUES = 100;

/** Maximum nesting of JSON objects in a resource. Deeper input is rejected with one issue. */
export const MAX_DEPTH = 64;

/**
 * State of one validation run: the path of the element being checked, the issues found so far
 * and the limits. The walker pushes and pops path segments instead of building a string per
 * element, so an expression string is only built when an issue is reported.
 */
export class ValidationContext {
  readonly issues: Issue[] = [];
  /** True once the issue limit is reached, after which the walker stops. */
  full = false;
  /** Current number of nested JSON objects. */
  depth = 0;
  /** True while checking a contained resource, which must not contain resources itself (R4 invariant dom-2). */
  insideContained = false;
  private depthReported = false;
  private readonly segments: (string | number)[] = [];

  push(segment: string | number): void {
    this.segments.push(segment);
  }

  pop(): void {
    this.segments.pop();
  }

  /** Pushes a property name that is not in the definitions, cut to 64 characters. */
  pushUnknown(key: string): void {
    this.segments.push(key.length > MAX_ECHOED_CHARACTERS ? `${key.slice(0, MAX_ECHOED_CHARACTERS)}...` : key);
  }

  /** Builds the FHIRPath-like expression of the current path, such as `Patient.name[0].given[1]`. */
  expression(): string {
    let expression = "";
    for (const segment of this.segments) {
      if (typeof segment === "number") expression += `[${segment}]`;
      else expression += expression === "" ? segment : `.${segment}`;
    }
    return expression;
  }

  /** Records an issue at the current path. After 99 issues, records a final issue that reports that more were found. */
  report(code: ValidationIssueCode, diagnostics: string): void {
    if (this.full) return;
    if (this.issues.length < MAX_ISSUES - 1) {
      this.issues.push({ severity: "error", code, diagnostics, expression: this.expression() });
      return;
    }
    this.full = true;
    this.issues.push({
      severity: "error",
      code: "invalid",
      diagnostics: `Validation stopped after ${MAX_ISSUES - 1} issues: the resource has more problems than are listed`,
      expression: String(this.segments[0] ?? "Resource"),
    });
  }

  /**
   * Enters a nested JSON object. Returns false when the object would be deeper than MAX_DEPTH,
   * so the caller skips it. Only the first such object in a run is reported.
   */
  enterObject(): boolean {
    if (this.depth >= MAX_DEPTH) {
      if (!this.depthReported) {
        this.depthReported = true;
        const message = `Nesting is deeper than ${MAX_DEPTH} levels of JSON objects, so the content is not checked`;
        this.report("invalid", message);
      }
      return false;
    }
    this.depth++;
    return true;
  }

  leaveObject(): void {
    this.depth--;
  }
}
