/**
 * Stores a stage can deploy, chosen with `FLINT_DEPLOY_STORE` at deploy time:
 * - `dynamodb` (default): one table, no VPC, nothing to run when idle;
 * - `rds`: PostgreSQL on RDS (`t4g.micro` unless changed) behind RDS Proxy, in a VPC;
 * - `aurora`: Aurora Serverless v2 PostgreSQL behind RDS Proxy, in a VPC, pausing when idle
 *   on stages other than production.
 */
export type DeployStore = "dynamodb" | "rds" | "aurora";

export function deployStore(value: string | undefined): DeployStore {
  if (value === undefined || value === "" || value === "dynamodb") return "dynamodb";
  if (value === "rds" || value === "aurora") return value;
  throw new Error(`FLINT_DEPLOY_STORE must be dynamodb, rds or aurora, not "${value}".`);
}

/** Log retention periods that SST accepts and that the stages use. */
export type LogRetention = "2 weeks" | "1 year";

/** Settings that differ between stages, resolved once from the stage name and the deploy environment. */
export interface StageSettings {
  /** Stage name, as in `sst deploy --stage NAME`. */
  stage: string;
  store: DeployStore;
  /** The `production` stage: its table has deletion protection and its logs are kept longer. */
  production: boolean;
  logRetention: LogRetention;
  /** `Service` dimension of the EMF metrics, `{app}-{stage}`; the alarms and the dashboard read it. */
  metricsService: string;
  /** Address that receives alarm notifications (`FLINT_ALARM_EMAIL`); it must confirm the subscription. */
  alarmEmail?: string;
  /** Custom domain served through CloudFront (`FLINT_DOMAIN`), for example `fhir.example.org`. */
  domain?: string;
}

/**
 * Resolves the settings of one stage. Deploy-time variables: `FLINT_DEPLOY_STORE`,
 * `FLINT_ALARM_EMAIL` and `FLINT_DOMAIN`, each optional.
 */
export function stageSettings(app: { name: string; stage: string }, environment: Record<string, string | undefined>): StageSettings {
  const production = app.stage === "production";
  const settings: StageSettings = {
    stage: app.stage,
    store: deployStore(environment.FLINT_DEPLOY_STORE),
    production,
    // Production keeps a year of request logs for incident review; other stages two weeks.
    logRetention: production ? "1 year" : "2 weeks",
    metricsService: `${app.name}-${app.stage}`,
  };

  const email = environment.FLINT_ALARM_EMAIL;
  if (email !== undefined && email !== "") {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw new Error(`FLINT_ALARM_EMAIL must be an email address, not "${email}".`);
    settings.alarmEmail = email;
  }
  const domain = environment.FLINT_DOMAIN;
  if (domain !== undefined && domain !== "") {
    if (!/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(domain)) throw new Error(`FLINT_DOMAIN must be a lower-case host name such as fhir.example.org, not "${domain}".`);
    settings.domain = domain;
  }
  return settings;
}
