import { functionArgs, observabilityEnvironment, XRAY_PERMISSION } from "./api";
import { createDashboard } from "./dashboard";
import { createAlarms } from "./monitoring";
import type { StageSettings } from "./stage";
import { TABLE_ACTIONS } from "./schema";
import { createTable } from "./table";

export { deployStore, stageSettings, type DeployStore, type StageSettings } from "./stage";

/**
 * Flint's AWS resources for one stage: the API function behind a Function URL, its store, the
 * alarms and a dashboard. With `FLINT_DOMAIN` set, a CloudFront router serves the function on
 * that domain. The DynamoDB store is the single table with the two history GSIs that
 * `packages/dynamodb/src/table.ts` declares. A PostgreSQL store lives in private subnets, with
 * credentials that SST creates in Secrets Manager. The function reaches it through RDS Proxy,
 * which pools connections across Lambda instances.
 */
export function createFlint(settings: StageSettings) {
  const router = createRouter(settings);
  const url = router === undefined ? true : { router: { instance: router, readTimeout: "60 seconds" as const } };
  const environment = {
    ...observabilityEnvironment(settings),
    ...(settings.domain === undefined ? {} : { FLINT_BASE_URL: `https://${settings.domain}/fhir` }),
  };

  if (settings.store === "dynamodb") {
    const table = createTable(settings);
    // Granted by hand rather than with `link: [table]`: a link grants dynamodb:* on the table and
    // everything under its ARN, including DeleteTable and UpdateTable.
    const api = new sst.aws.Function("Api", {
      ...functionArgs(settings, $dev),
      url,
      environment: { ...environment, FLINT_STORE: "dynamodb", FLINT_TABLE: table.name },
      permissions: [{ actions: TABLE_ACTIONS, resources: [table.arn, $interpolate`${table.arn}/index/*`] }, XRAY_PERMISSION],
    });
    const monitoring = createMonitoring(settings, { functionName: api.nodes.function.name, tableName: table.name });
    return { url: router?.url ?? api.url, store: settings.store, table: table.name, ...monitoring };
  }

  // Lambda in private subnets reaches AWS APIs through NAT; an EC2 NAT instance costs less than a
  // managed NAT gateway for one API.
  const vpc = new sst.aws.Vpc("Vpc", { nat: "ec2" });
  const database =
    settings.store === "aurora"
      ? new sst.aws.Aurora("Database", {
          engine: "postgres",
          vpc,
          proxy: true,
          scaling: settings.production ? { min: "0.5 ACU", max: "16 ACU" } : { min: "0 ACU", max: "4 ACU", pauseAfter: "20 minutes" },
        })
      : new sst.aws.Postgres("Database", { vpc, proxy: true });
  const api = new sst.aws.Function("Api", {
    ...functionArgs(settings, $dev),
    url,
    vpc,
    // The link passes host, port, database and credentials to the function encrypted; see functions/api-postgres.ts.
    link: [database],
    environment: { ...environment, FLINT_STORE: "postgres", FLINT_DATABASE_LINK: "Database", FLINT_PG_POOL: "1" },
    permissions: [XRAY_PERMISSION],
  });
  const monitoring = createMonitoring(settings, { functionName: api.nodes.function.name });
  return { url: router?.url ?? api.url, store: settings.store, database: database.database, ...monitoring };
}

/**
 * Creates the CloudFront router for `FLINT_DOMAIN`. SST issues the certificate and adds the DNS
 * records in the Route 53 hosted zone of the domain, which must exist in the account.
 */
function createRouter(settings: StageSettings) {
  if (settings.domain === undefined) return undefined;
  return new sst.aws.Router("Router", { domain: settings.domain });
}

function createMonitoring(settings: StageSettings, resources: Parameters<typeof createAlarms>[1]) {
  const { topic, alarms } = createAlarms(settings, resources);
  const dashboard = createDashboard(
    settings,
    resources,
    alarms.map((alarm) => alarm.arn),
  );
  return { alarmTopic: topic.arn, dashboard: dashboard.dashboardName };
}
