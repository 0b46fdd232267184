import { defineConfig } from "vitest/config";

/**
 * Default suite: unit tests and integration tests against DynamoDB Local, which the global
 * setup starts once in memory on a free port and stops afterwards.
 */
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "test/**/*.test.ts"],
    globalSetup: ["test/setup/dynamodb-local.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AWS_XRAY_CONTEXT_MISSING: "IGNORE_ERROR",
    },
  },
});
