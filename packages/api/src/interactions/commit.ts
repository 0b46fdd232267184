import { FhirError, type ErrorKind } from "@flint/core";
import { OperationError, type FhirRepository, type OperationResult } from "@flint/repository";
import type { WritePlan } from "./plans.ts";

/** Times a set of plans is made again after losing a race to a concurrent request. */
const MAX_REPLANS = 4;

export interface CommittedPlans {
  plans: WritePlan[];
  /** Result of each plan's write, by plan index; absent for plans without a write. */
  results: Array<OperationResult | undefined>;
}

/**
 * Makes plans and commits their writes in one repository transaction. When a concurrent
 * request wins a race the plans depend on (a conditional create's claim, or the version a
 * conditional match was read at), the plans are made again from fresh reads, so the request
 * sees the winner: a conditional create then returns the resource the other request created.
 * A version the client pinned with If-Match is not retried, so its mismatch fails with 412.
 * When the last attempt still loses a race, the request fails with 409 Conflict.
 */
export async function commitPlans(
  repository: FhirRepository,
  makePlans: () => Promise<WritePlan[]>,
  pinnedByClient: (plan: number) => boolean,
  describe: (plan: number) => string = () => "",
): Promise<CommittedPlans> {
  for (let attempt = 1; ; attempt++) {
    const plans = await makePlans();
    const writes = plans.flatMap((plan, index) => (plan.kind === "write" ? [{ index, operation: plan.operation }] : []));
    try {
      const outcomes = await repository.transaction(writes.map((write) => write.operation));
      const results: Array<OperationResult | undefined> = plans.map(() => undefined);
      writes.forEach((write, position) => (results[write.index] = outcomes[position]));
      return { plans, results };
    } catch (error) {
      if (!(error instanceof OperationError)) throw error;
      const plan = writes[error.operation]?.index ?? 0;
      const retryable = error.reason === "claimed" || (error.reason === "version" && !pinnedByClient(plan));
      if (retryable && attempt < MAX_REPLANS) continue;
      // A race lost on every attempt is a 409 that the client may send again, even when it lost
      // on a version. Only a version the client pinned itself makes a 412.
      const kind = retryable ? "conflict" : operationErrorKind(error);
      throw new FhirError(kind, { diagnostics: `${describe(plan)}${error.message}`, ...expressionOf(describe(plan)) }, { cause: error });
    }
  }
}

function operationErrorKind(error: OperationError): ErrorKind {
  switch (error.reason) {
    case "version":
      return "precondition-failed";
    case "exists":
    case "claimed":
    case "conflict":
      return "conflict";
  }
}

function expressionOf(prefix: string): { expression?: string } {
  const match = /^(Bundle\.entry\[\d+\])/.exec(prefix);
  return match === null ? {} : { expression: match[1]! };
}
