import { describe, expect, it } from "vitest";
import { FhirError } from "@flint/core";
import type { SqlClient } from "./client.ts";
import { guard, inTransaction, isTransientError, MAX_TRANSACTION_ATTEMPTS } from "./errors.ts";

/** Builds an error as the drivers raise it, with a SQLSTATE or client code in `code`. */
function coded(code: string): Error {
  return Object.assign(new Error(`failed with ${code}`), { code });
}

/** Builds a client whose transactions fail with the given errors, in order, and then succeed. */
function failingClient(errors: Error[]): SqlClient & { attempts: number } {
  const client = {
    attempts: 0,
    query: async () => [],
    async transaction<T>(work: (client: SqlClient) => Promise<T>): Promise<T> {
      client.attempts += 1;
      const error = errors.shift();
      if (error !== undefined) throw error;
      return work(client);
    },
    close: async () => undefined,
  };
  return client;
}

describe("inTransaction", () => {
  it("reruns after a serialization failure and a deadlock", async () => {
    const client = failingClient([coded("40001"), coded("40P01")]);
    expect(await inTransaction(client, async () => "done")).toBe("done");
    expect(client.attempts).toBe(3);
  });

  it("stops after the maximum attempts", async () => {
    const client = failingClient(Array.from({ length: MAX_TRANSACTION_ATTEMPTS + 1 }, () => coded("40001")));
    const error = await guard(() => inTransaction(client, async () => "done")).catch((caught: unknown) => caught);
    expect(client.attempts).toBe(MAX_TRANSACTION_ATTEMPTS);
    expect(error).toBeInstanceOf(FhirError);
    expect((error as FhirError).kind).toBe("transient");
  });

  it("does not rerun other errors", async () => {
    const client = failingClient([coded("23505")]);
    await expect(inTransaction(client, async () => "done")).rejects.toMatchObject({ code: "23505" });
    expect(client.attempts).toBe(1);
  });
});

describe("guard", () => {
  for (const code of ["ECONNREFUSED", "CONNECTION_CLOSED", "08006", "53300", "57P01", "57014"]) {
    it(`maps ${code} to transient`, async () => {
      const error = await guard(() => Promise.reject(coded(code))).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FhirError);
      expect((error as FhirError).kind).toBe("transient");
    });
  }

  it("finds a code in the cause chain", () => {
    expect(isTransientError(new Error("wrapped", { cause: coded("ECONNRESET") }))).toBe(true);
  });

  it("passes other errors unchanged", async () => {
    const original = coded("42P01");
    await expect(guard(() => Promise.reject(original))).rejects.toBe(original);
  });
});
