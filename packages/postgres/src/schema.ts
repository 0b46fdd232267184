import type { SqlClient } from "./client.ts";

/** Schema names Flint accepts: a lower-case SQL identifier, so it never needs quoting rules beyond double quotes. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Fully qualified, quoted names of Flint's tables in one schema. */
export interface Tables {
  resource: string;
  version: string;
  token: string;
  string: string;
  date: string;
  number: string;
  quantity: string;
  reference: string;
  uri: string;
  claim: string;
  migrations: string;
}

/** Returns the quoted table names of a schema, after checking the schema name. */
export function tablesOf(schema: string): Tables {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name "${schema}": use lower-case letters, digits and _, starting with a letter or _, at most 63 characters.`);
  }
  const table = (name: string) => `"${schema}"."${name}"`;
  return {
    resource: table("resource"),
    version: table("resource_version"),
    token: table("search_token"),
    string: table("search_string"),
    date: table("search_date"),
    number: table("search_number"),
    quantity: table("search_quantity"),
    reference: table("search_reference"),
    uri: table("search_uri"),
    claim: table("claim"),
    migrations: table("flint_migrations"),
  };
}

interface Migration {
  version: number;
  name: string;
  statements(tables: Tables): string[];
}

/**
 * Text columns that are compared by range or ordered use the "C" collation, so that their
 * order is the code point order that JavaScript's string comparison and the paging cursors use,
 * whatever the database's default collation.
 */
const KEY = `text COLLATE "C" NOT NULL`;
const TEXT = `text COLLATE "C"`;

/** Migrations in order. Applied ones are recorded in `flint_migrations` and never change; add new ones at the end. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "resources, versions, search index and claims",
    statements: (t) => [
      `CREATE TABLE ${t.resource} (
        type ${KEY}, id ${KEY}, vid integer NOT NULL, last_updated timestamptz NOT NULL,
        deleted boolean NOT NULL, content text,
        PRIMARY KEY (type, id))`,
      `CREATE TABLE ${t.version} (
        type ${KEY}, id ${KEY}, vid integer NOT NULL, last_updated timestamptz NOT NULL,
        method text NOT NULL, deleted boolean NOT NULL, content text, superseded_at timestamptz,
        PRIMARY KEY (type, id, vid))`,
      `CREATE INDEX resource_version_type_history ON ${t.version} (type, last_updated DESC, id DESC, vid DESC)`,
      `CREATE INDEX resource_version_system_history ON ${t.version} (last_updated DESC, type DESC, id DESC, vid DESC)`,

      `CREATE TABLE ${t.token} (type ${KEY}, id ${KEY}, param ${KEY}, system ${KEY}, code ${TEXT}, text ${TEXT})`,
      `CREATE INDEX search_token_resource ON ${t.token} (type, id, param)`,
      `CREATE INDEX search_token_code ON ${t.token} (type, param, code)`,
      `CREATE INDEX search_token_system ON ${t.token} (type, param, system, code)`,
      `CREATE INDEX search_token_text ON ${t.token} (type, param, text) WHERE text IS NOT NULL`,

      `CREATE TABLE ${t.string} (type ${KEY}, id ${KEY}, param ${KEY}, value ${KEY})`,
      `CREATE INDEX search_string_resource ON ${t.string} (type, id, param)`,
      `CREATE INDEX search_string_value ON ${t.string} (type, param, value)`,

      `CREATE TABLE ${t.date} (type ${KEY}, id ${KEY}, param ${KEY}, lo bigint NOT NULL, hi bigint NOT NULL)`,
      `CREATE INDEX search_date_resource ON ${t.date} (type, id, param)`,
      `CREATE INDEX search_date_lo ON ${t.date} (type, param, lo)`,
      `CREATE INDEX search_date_hi ON ${t.date} (type, param, hi)`,

      `CREATE TABLE ${t.number} (type ${KEY}, id ${KEY}, param ${KEY}, value double precision NOT NULL)`,
      `CREATE INDEX search_number_resource ON ${t.number} (type, id, param)`,
      `CREATE INDEX search_number_value ON ${t.number} (type, param, value)`,

      `CREATE TABLE ${t.quantity} (
        type ${KEY}, id ${KEY}, param ${KEY}, value double precision NOT NULL, system ${TEXT}, code ${TEXT},
        canonical_code ${TEXT}, canonical_value double precision)`,
      `CREATE INDEX search_quantity_resource ON ${t.quantity} (type, id, param)`,
      `CREATE INDEX search_quantity_unit ON ${t.quantity} (type, param, system, code, value)`,
      `CREATE INDEX search_quantity_canonical ON ${t.quantity} (type, param, canonical_code, canonical_value) WHERE canonical_code IS NOT NULL`,

      `CREATE TABLE ${t.reference} (type ${KEY}, id ${KEY}, param ${KEY}, local ${TEXT}, url ${TEXT})`,
      `CREATE INDEX search_reference_resource ON ${t.reference} (type, id, param)`,
      `CREATE INDEX search_reference_local ON ${t.reference} (type, param, local) WHERE local IS NOT NULL`,
      `CREATE INDEX search_reference_url ON ${t.reference} (type, param, url) WHERE url IS NOT NULL`,

      `CREATE TABLE ${t.uri} (type ${KEY}, id ${KEY}, param ${KEY}, value ${KEY})`,
      `CREATE INDEX search_uri_resource ON ${t.uri} (type, id, param)`,
      `CREATE INDEX search_uri_value ON ${t.uri} (type, param, value)`,

      `CREATE TABLE ${t.claim} (key text PRIMARY KEY, type ${KEY}, id ${KEY})`,
    ],
  },
];

/**
 * Creates the schema and applies the migrations it lacks, in order, in one transaction. A
 * transaction-scoped advisory lock on the schema name makes a second process that starts at
 * the same time wait and then find every migration applied, so running it again is harmless.
 * Raises an error when the schema has a migration that this version of Flint does not know.
 */
export async function migrate(client: SqlClient, schema: string): Promise<void> {
  const tables = tablesOf(schema);
  await client.transaction(async (transaction) => {
    await transaction.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`flint-migrate:${schema}`]);
    await transaction.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await transaction.query(
      `CREATE TABLE IF NOT EXISTS ${tables.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );

    const rows = await transaction.query<{ version: number }>(`SELECT version FROM ${tables.migrations}`);
    const applied = new Set(rows.map((row) => row.version));
    const known = new Set(MIGRATIONS.map((migration) => migration.version));
    const unknown = [...applied].filter((version) => !known.has(version));
    if (unknown.length > 0) {
      throw new Error(`Schema "${schema}" has migration ${unknown.join(", ")}, which this version of Flint does not know; run a newer Flint or use another schema.`);
    }

    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements(tables)) await transaction.query(statement);
      await transaction.query(`INSERT INTO ${tables.migrations} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
  });
}
