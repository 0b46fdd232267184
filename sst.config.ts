/// <reference path="./.sst/platform/config.d.ts" />

/**
 * SST app: one Lambda function, its store, alarms and a dashboard per stage. `sst deploy --stage
 * NAME` deploys a stage, and `sst dev` runs the function on your machine against a deployed
 * stage. The `production` stage keeps its resources when the app is removed. Deploy-time
 * variables (see stacks/stage.ts): `FLINT_DEPLOY_STORE` picks the store (`dynamodb`, `rds` or
 * `aurora`), `FLINT_ALARM_EMAIL` subscribes an address to the alarms, and `FLINT_DOMAIN` serves
 * the API on a custom domain.
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
    const { createFlint, stageSettings } = await import("./stacks/flint");
    return createFlint(stageSettings($app, process.env));
  },
});
