/// <reference path="./.sst/platform/config.d.ts" />

/**
 * SST app: one DynamoDB table and one Lambda function per stage. `sst deploy --stage NAME`
 * deploys a stage; production stages keep their table when the app is removed.
 */
export default $config({
  app(input) {
    const production = input?.stage === "production";
    return {
      name: "flint",
      home: "aws",
      removal: production ? "retain" : "remove",
      protect: production,
    };
  },
  async run() {
    const { createFlint } = await import("./stacks/flint");
    return createFlint();
  },
});
