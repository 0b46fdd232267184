import { afterAll, describe, it } from "vitest";
import { describeRepositoryContract } from "@flint/repository/contract";
import { openPostgres } from "./client.ts";
import { closeFilePglite, filePglite, NO_SERVER, repositoryIn, serverUrl } from "./test-support.ts";

afterAll(closeFilePglite);

describeRepositoryContract("pglite", {
  create: async (options) => repositoryIn(await filePglite(), "contract", options),
});

const url = serverUrl();
if (url === "") {
  describe.skip(`repository contract: postgres (${NO_SERVER})`, () => {
    it("runs the contract on a PostgreSQL server", () => undefined);
  });
} else {
  const server = openPostgres(url, { max: 8 });
  afterAll(() => server.close());
  describeRepositoryContract("postgres", {
    create: (options) => repositoryIn(server, "contract", options),
  });
}
