import type { Resource } from "fhir/r4";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:net";
import { FhirError, parseTypeSearch } from "@flint/core";
import { OperationError, type WriteOperation } from "@flint/repository";
import { openPostgres, type SqlClient } from "./client.ts";
import { createPostgresRepository, PostgresRepository } from "./repository.ts";
import { migrate } from "./schema.ts";
import { freshSchema, NO_SERVER, serverUrl } from "./test-support.ts";

type Stored = Resource & { id: string };

function patient(id: string, fields: Record<string, unknown> = {}): Stored {
  return { resourceType: "Patient", id, ...fields } as Stored;
}

function update(resource: Stored): WriteOperation {
  return { kind: "update", resourceType: resource.resourceType, id: resource.id, resource, method: "PUT" };
}

const url = serverUrl();

if (url === "") {
  describe.skip(`concurrency on PostgreSQL (${NO_SERVER})`, () => {
    it("runs concurrent writers on a PostgreSQL server", () => undefined);
  });
} else {
  describe("concurrency on PostgreSQL", () => {
    // Two pools, as two server processes would have.
    const first = openPostgres(url, { max: 4 });
    const second = openPostgres(url, { max: 4 });
    let left: PostgresRepository;
    let right: PostgresRepository;

    beforeAll(async () => {
      const schema = freshSchema("concurrency");
      left = await createPostgresRepository({ client: first, schema });
      right = new PostgresRepository({ client: second, schema });
    });

    afterAll(async () => {
      await first.close();
      await second.close();
    });

    it("lets one of two updates on a version win", async () => {
      for (let round = 0; round < 10; round++) {
        const id = `race-${round}`;
        await left.create(patient(id));
        const attempts = await Promise.allSettled([
          left.update(patient(id, { active: true }), { ifMatch: 1 }),
          right.update(patient(id, { active: false }), { ifMatch: 1 }),
        ]);

        const winners = attempts.filter((attempt) => attempt.status === "fulfilled");
        expect(winners).toHaveLength(1);
        const loser = attempts.find((attempt) => attempt.status === "rejected");
        expect((loser as PromiseRejectedResult).reason).toBeInstanceOf(FhirError);
        expect(((loser as PromiseRejectedResult).reason as FhirError).kind).toBe("precondition-failed");
        expect((await right.read("Patient", id)).versionId).toBe(2);
      }
    });

    it("makes one resource from identical conditional creates", async () => {
      const criteria = parseTypeSearch("Patient", new URLSearchParams("identifier=urn:race|7"), "strict").query;
      const body = { identifier: [{ system: "urn:race", value: "7" }] };
      const attempt = async (repository: PostgresRepository, id: string) => {
        const existing = await repository.search(criteria);
        if (existing.entries.length > 0) return "found";
        await repository.transaction([{ kind: "create", resourceType: "Patient", id, resource: patient(id, body), method: "POST", conditional: criteria }]);
        return "created";
      };

      const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, index) => attempt(index % 2 === 0 ? left : right, `conditional-${index}`)));

      const created = attempts.filter((outcome) => outcome.status === "fulfilled" && outcome.value === "created");
      expect(created).toHaveLength(1);
      for (const outcome of attempts) {
        if (outcome.status === "rejected") {
          expect(outcome.reason).toBeInstanceOf(OperationError);
          expect((outcome.reason as OperationError).reason).toBe("claimed");
        }
      }
      expect((await left.search(criteria)).entries).toHaveLength(1);
    });

    it("lets one of simultaneous claims commit", async () => {
      // Every request has already searched and found nothing, so only the claim stops the others.
      const criteria = parseTypeSearch("Patient", new URLSearchParams("identifier=urn:race|8"), "strict").query;
      const body = { identifier: [{ system: "urn:race", value: "8" }] };
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          (index % 2 === 0 ? left : right).transaction([{ kind: "create", resourceType: "Patient", id: `claim-${index}`, resource: patient(`claim-${index}`, body), method: "POST", conditional: criteria }]),
        ),
      );

      expect(attempts.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
      for (const outcome of attempts) {
        if (outcome.status === "rejected") expect((outcome.reason as OperationError).reason).toBe("claimed");
      }
      expect((await right.search(criteria)).entries).toHaveLength(1);
    });

    it("commits bundles that cross the same resources", async () => {
      await left.create(patient("cross-a"));
      await left.create(patient("cross-b"));
      const bundles = Array.from({ length: 10 }, (_, index) => {
        const pair = [update(patient("cross-a", { active: index % 2 === 0 })), update(patient("cross-b", { active: index % 2 === 1 }))];
        const repository = index % 2 === 0 ? left : right;
        return repository.transaction(index % 2 === 0 ? pair : pair.reverse());
      });

      const outcomes = await Promise.allSettled(bundles);

      expect(outcomes.filter((outcome) => outcome.status === "rejected")).toEqual([]);
      expect((await left.read("Patient", "cross-a")).versionId).toBe(11);
      expect((await left.read("Patient", "cross-b")).versionId).toBe(11);
      const history = await left.history({ resourceType: "Patient", id: "cross-a", count: 20 });
      expect(history.entries.map((entry) => entry.versionId)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    });

    it("applies migrations once from two processes", async () => {
      const schema = freshSchema("migrate");
      await Promise.all([migrate(first, schema), migrate(second, schema)]);
      const rows = await first.query<{ count: number }>(`SELECT count(*)::integer AS count FROM "${schema}".flint_migrations`);
      expect(rows[0]?.count).toBe(1);
    });

    it("closes a client it owns", async () => {
      const owned = openPostgres(url, { max: 1 });
      const repository = await createPostgresRepository({ client: owned, schema: freshSchema("owned"), ownsClient: true });
      await repository.close();
      await expect(repository.read("Patient", "any")).rejects.toMatchObject({ kind: "transient" });
    });
  });
}

describe("unreachable PostgreSQL", () => {
  let client: SqlClient;

  afterAll(() => client?.close());

  it("fails with a transient error", async () => {
    const port = await closedPort();
    client = openPostgres(`postgres://flint@127.0.0.1:${port}/flint`, { max: 1 });
    const error = await createPostgresRepository({ client, schema: "flint" }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FhirError);
    expect((error as FhirError).kind).toBe("transient");
  });
});

/** Returns a port on 127.0.0.1 that nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("No free port was found."))));
    });
  });
}
