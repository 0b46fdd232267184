import * as v from "valibot";

const port = v.pipe(
  v.string(),
  v.regex(/^\d+$/, "must be a whole number"),
  v.transform(Number),
  v.minValue(1, "must be at least 1"),
  v.maxValue(65_535, "must be at most 65535"),
);

const positiveInteger = v.pipe(v.string(), v.regex(/^[1-9]\d*$/, "must be a positive whole number"), v.transform(Number));

const httpUrl = v.pipe(v.string(), v.url("must be a URL such as http://127.0.0.1:8000"), v.regex(/^https?:\/\//, "must start with http:// or https://"));

/** Environment variables Flint reads at start-up, with their defaults. `.env.example` lists them. */
const EnvironmentSchema = v.object({
  PORT: v.optional(port, "8080"),
  HOST: v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty")), "127.0.0.1"),
  FLINT_STORE: v.optional(
    v.picklist(["dynamodb-local", "dynamodb", "pglite", "postgres"], 'must be "dynamodb-local", "dynamodb", "pglite" or "postgres"'),
    "dynamodb-local",
  ),
  FLINT_DATA_DIR: v.optional(v.pipe(v.string(), v.nonEmpty("must not be empty")), ".flint"),
  FLINT_TABLE: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{3,255}$/, "must be 3 to 255 of A-Z a-z 0-9 _ . -"))),
  DYNAMODB_ENDPOINT: v.optional(httpUrl),
  AWS_REGION: v.optional(v.pipe(v.string(), v.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as eu-west-1"))),
  FLINT_BASE_URL: v.optional(v.pipe(httpUrl, v.regex(/[^/]$/, "must not end with /"))),
  FLINT_MAX_BODY_BYTES: v.optional(positiveInteger),
  DATABASE_URL: v.optional(v.pipe(v.string(), v.regex(/^postgres(ql)?:\/\//, "must be a URL such as postgres://user:password@host:5432/flint"))),
  FLINT_PG_SCHEMA: v.optional(v.pipe(v.string(), v.regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL name such as flint"))),
  FLINT_PG_POOL: v.optional(positiveInteger),
  FLINT_RUNTIME: v.optional(v.picklist(["node", "deno", "bun"], 'must be "node", "deno" or "bun"'), "node"),
});

export type Store = "dynamodb-local" | "dynamodb" | "pglite" | "postgres";

/** JavaScript runtime that serves HTTP. `deno` and `bun` run as a child of the Node process. */
export type Runtime = "node" | "deno" | "bun";

/** Validated configuration of a Flint server process. */
export interface Config {
  port: number;
  host: string;
  store: Store;
  dataDir: string;
  table: string;
  dynamoDbEndpoint?: string;
  region?: string;
  baseUrl?: string;
  maxBodyBytes?: number;
  /** Connection URL for `postgres`. */
  databaseUrl?: string;
  /** Schema of Flint's tables on PostgreSQL and PGlite. */
  pgSchema: string;
  /** Maximum number of connections the process opens to PostgreSQL. */
  pgPool?: number;
  runtime: Runtime;
}

/** Table used by `dynamodb-local` when `FLINT_TABLE` is not set. */
const LOCAL_TABLE = "flint";

/** Raised for invalid settings; the message names each bad variable and what it must be. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses and checks the environment once at start-up. */
export function loadConfig(environment: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.keys(EnvironmentSchema.entries).flatMap((name) => {
      const value = environment[name];
      return value === undefined || value === "" ? [] : [[name, value]];
    }),
  );
  const result = v.safeParse(EnvironmentSchema, present);
  if (!result.success) {
    const problems = result.issues.map((issue) => {
      const name = v.getDotPath(issue) ?? "environment";
      // A connection URL may contain a password, so its value is never echoed.
      const shown = name === "DATABASE_URL" ? "a value that is not shown" : `"${String(issue.input).slice(0, 64)}"`;
      return `${name} ${issue.message} (got ${shown})`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }

  const env = result.output;
  if (env.FLINT_STORE === "dynamodb" && env.FLINT_TABLE === undefined) {
    throw new ConfigError("Invalid configuration:\n  FLINT_TABLE is required when FLINT_STORE=dynamodb (the name of an existing table).");
  }
  if (env.FLINT_STORE === "postgres" && env.DATABASE_URL === undefined) {
    throw new ConfigError("Invalid configuration:\n  DATABASE_URL is required when FLINT_STORE=postgres, for example postgres://flint:secret@127.0.0.1:5432/flint.");
  }

  const config: Config = {
    port: env.PORT,
    host: env.HOST,
    store: env.FLINT_STORE,
    dataDir: env.FLINT_DATA_DIR,
    table: env.FLINT_TABLE ?? LOCAL_TABLE,
    pgSchema: env.FLINT_PG_SCHEMA ?? "flint",
    runtime: env.FLINT_RUNTIME,
  };
  if (env.DATABASE_URL !== undefined) config.databaseUrl = env.DATABASE_URL;
  if (env.FLINT_PG_POOL !== undefined) config.pgPool = env.FLINT_PG_POOL;
  if (env.DYNAMODB_ENDPOINT !== undefined) config.dynamoDbEndpoint = env.DYNAMODB_ENDPOINT;
  if (env.AWS_REGION !== undefined) config.region = env.AWS_REGION;
  if (env.FLINT_BASE_URL !== undefined) config.baseUrl = env.FLINT_BASE_URL;
  if (env.FLINT_MAX_BODY_BYTES !== undefined) config.maxBodyBytes = env.FLINT_MAX_BODY_BYTES;
  return config;
}
