import { describeRepositoryContract } from "@flint/repository/contract";
import { createTestRepository } from "../../../test/setup/dynamodb.ts";

describeRepositoryContract("DynamoDB Local", {
  create: async (options) => (await createTestRepository(options)).repository,
});
