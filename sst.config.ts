/// <reference path="./.sst/platform/config.d.ts" />

/**
 * SST app: one Lambda function and its store per stage. `sst deploy --stage NAME` deploys a
 * stage; production stages keep their data when the app is removed. `FLINT_DEPLOY_STORE`
 * picks the store at deploy time: `dynamodb` (default), `rds` or `aurora` (see stacks/flint.ts).
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
    const { createFlint, deployStore } = await import("./stacks/flint");
    return createFlint({ store: deployStore(process.env.FLINT_DEPLOY_STORE), production: $app.stage === "production" });
  },
});
