import type { Resource } from "fhir/r4";
import type { SqlClient } from "./client.ts";
import { DEFAULT_SCHEMA } from "./repository.ts";
import { tablesOf, type Tables } from "./schema.ts";
import { INDEX_FAMILIES, indexRows, type IndexFamily } from "./search/rows.ts";
import { forChunks, isoInstant } from "./sql.ts";

/** One inconsistency found in the database, with the rows involved (`Type/id`, and the table or version). */
export interface Finding {
  problem: string;
  keys: string[];
}

/** Columns of each index table after `type`, `id` and `param`, in the order `indexRows` builds them. */
const FAMILY_COLUMNS: Record<IndexFamily, readonly string[]> = {
  token: ["system", "code", "text"],
  string: ["value"],
  date: ["lo", "hi"],
  number: ["value"],
  quantity: ["value", "system", "code", "canonical_code", "canonical_value"],
  reference: ["local", "url"],
  uri: ["value"],
};

/** Columns whose integer type the drivers return as text; read as float8, which represents epoch milliseconds exactly. */
const BIGINT_COLUMNS = new Set(["lo", "hi"]);

/** Resources checked per round of queries. */
const PAGE_SIZE = 500;

interface ResourceRow {
  type: string;
  id: string;
  vid: number;
  last_updated: string;
  deleted: boolean;
  content: string | null;
}

interface VersionRow extends ResourceRow {
  superseded_at: string | null;
}

type Row = Record<string, unknown>;

/**
 * Reads the whole store and reports every place where derived rows disagree with the resource
 * rows. It checks that versions run from 1 to the current version without gaps and that the
 * latest one matches the `resource` row. Each `superseded_at` must be the next version's
 * `last_updated`. The index rows of each live resource must equal the rows that the writer's
 * own extraction computes from its stored content, and deleted resources must have none.
 * Versions, index rows and claims of resources without a `resource` row are reported too.
 * It only reads, and works in pages of 500 resources, so memory stays bounded on a large store.
 * NOTE: on a store that is being written, a write that commits between two pages can be
 * reported; run it again to confirm a finding.
 */
export async function checkDatabase(client: SqlClient, schema: string = DEFAULT_SCHEMA): Promise<Finding[]> {
  const tables = tablesOf(schema);
  const findings: Finding[] = [];

  let after = { type: "", id: "" };
  for (;;) {
    const page = await client.query<ResourceRow>(
      `SELECT r.type, r.id, r.vid, ${isoInstant("r.last_updated")} AS last_updated, r.deleted, r.content
         FROM ${tables.resource} r WHERE (r.type, r.id) > ($1, $2) ORDER BY r.type, r.id LIMIT ${PAGE_SIZE}`,
      [after.type, after.id],
    );
    if (page.length === 0) break;
    await checkPage(client, tables, page, findings);
    after = page.at(-1)!;
  }

  await findOrphans(client, tables, findings);
  return findings;
}

async function checkPage(client: SqlClient, tables: Tables, page: ResourceRow[], findings: Finding[]): Promise<void> {
  const keys = page.map(({ type, id }) => ({ type, id }));
  const versions = await forChunks<VersionRow>(
    client,
    `SELECT v.type, v.id, v.vid, ${isoInstant("v.last_updated")} AS last_updated, ${isoInstant("v.superseded_at")} AS superseded_at, v.deleted, v.content
       FROM ${tables.version} v JOIN json_to_recordset($1::text::json) AS k(type text, id text) ON v.type = k.type COLLATE "C" AND v.id = k.id COLLATE "C"`,
    keys,
  );
  const versionsOf = groupByResource(versions);

  const storedIndex = new Map<string, Map<IndexFamily, Row[]>>();
  for (const family of INDEX_FAMILIES) {
    const columns = FAMILY_COLUMNS[family].map((column) => (BIGINT_COLUMNS.has(column) ? `x.${column}::float8 AS ${column}` : `x.${column}`));
    const rows = await forChunks<Row & { type: string; id: string }>(
      client,
      `SELECT x.type, x.id, x.param, ${columns.join(", ")}
         FROM ${tables[family]} x JOIN json_to_recordset($1::text::json) AS k(type text, id text) ON x.type = k.type COLLATE "C" AND x.id = k.id COLLATE "C"`,
      keys,
    );
    for (const row of rows) {
      const key = `${row.type}/${row.id}`;
      const families = storedIndex.get(key) ?? new Map<IndexFamily, Row[]>();
      families.set(family, [...(families.get(family) ?? []), row]);
      storedIndex.set(key, families);
    }
  }

  for (const resource of page) {
    const key = `${resource.type}/${resource.id}`;
    checkVersions(resource, versionsOf.get(key) ?? [], findings);
    checkIndex(resource, storedIndex.get(key) ?? new Map(), findings);
  }
}

function groupByResource<T extends { type: string; id: string }>(rows: T[]): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const row of rows) {
    const key = `${row.type}/${row.id}`;
    grouped.set(key, [...(grouped.get(key) ?? []), row]);
  }
  return grouped;
}

function checkVersions(resource: ResourceRow, versions: VersionRow[], findings: Finding[]): void {
  const key = `${resource.type}/${resource.id}`;
  versions.sort((a, b) => a.vid - b.vid);
  const numbers = versions.map((version) => version.vid);
  const expected = Array.from({ length: resource.vid }, (_, index) => index + 1);
  if (numbers.join(",") !== expected.join(",")) {
    findings.push({ problem: `versions ${numbers.join(",") || "none"} do not run from 1 to ${resource.vid}`, keys: [key] });
  }

  if (resource.deleted !== (resource.content === null)) {
    findings.push({ problem: resource.deleted ? "deleted resource row has content" : "live resource row has no content", keys: [key] });
  }
  const latest = versions.find((version) => version.vid === resource.vid);
  if (latest !== undefined && (latest.deleted !== resource.deleted || latest.last_updated !== resource.last_updated || latest.content !== resource.content)) {
    findings.push({ problem: "resource row and latest version differ", keys: [key, `version ${resource.vid}`] });
  }

  versions.forEach((version, index) => {
    const next = versions[index + 1];
    const expectedAt = next === undefined ? null : next.last_updated;
    if (version.superseded_at !== expectedAt) {
      const rule = expectedAt === null ? "empty on the latest version" : "the next version's last_updated";
      findings.push({ problem: `superseded_at is not ${rule}`, keys: [key, `version ${version.vid}`] });
    }
  });
}

function checkIndex(resource: ResourceRow, stored: Map<IndexFamily, Row[]>, findings: Finding[]): void {
  const key = `${resource.type}/${resource.id}`;
  if (resource.deleted || resource.content === null) {
    for (const [family, rows] of stored) findings.push({ problem: `deleted resource still has ${rows.length} ${family} index rows`, keys: [key] });
    return;
  }

  let expected: ReturnType<typeof indexRows>;
  try {
    expected = indexRows(JSON.parse(resource.content) as Resource);
  } catch (error) {
    // The parser's message can quote the content, so only the error name is reported.
    const problem = error instanceof SyntaxError ? "content is not valid JSON" : `content could not be indexed (${error instanceof Error ? error.name : "unknown error"})`;
    findings.push({ problem, keys: [key] });
    return;
  }

  for (const family of INDEX_FAMILIES) {
    const counts = new Map<string, number>();
    for (const row of expected[family] as Row[]) counts.set(rowKey(family, row), (counts.get(rowKey(family, row)) ?? 0) + 1);
    for (const row of stored.get(family) ?? []) counts.set(rowKey(family, row), (counts.get(rowKey(family, row)) ?? 0) - 1);
    for (const [row, count] of counts) {
      if (count > 0) findings.push({ problem: `${family} index row missing`, keys: [key, row] });
      if (count < 0) findings.push({ problem: `${family} index row left over`, keys: [key, row] });
    }
  }
}

/** Describes an index row as `param` and its column values, the same for a stored row and a computed one. */
function rowKey(family: IndexFamily, row: Row): string {
  const values = FAMILY_COLUMNS[family].map((column) => {
    const value = row[column];
    return value === null || value === undefined ? "null" : JSON.stringify(typeof value === "string" ? value : Number(value));
  });
  return `${String(row.param)}(${values.join(", ")})`;
}

/** Reports versions, index rows and claims whose resource has no `resource` row. */
async function findOrphans(client: SqlClient, tables: Tables, findings: Finding[]): Promise<void> {
  const missing = (alias: string) => `NOT EXISTS (SELECT 1 FROM ${tables.resource} r WHERE r.type = ${alias}.type AND r.id = ${alias}.id)`;

  const versions = await client.query<{ type: string; id: string }>(`SELECT DISTINCT v.type, v.id FROM ${tables.version} v WHERE ${missing("v")} ORDER BY 1, 2`);
  for (const { type, id } of versions) findings.push({ problem: "versions without a resource row", keys: [`${type}/${id}`] });

  for (const family of INDEX_FAMILIES) {
    const rows = await client.query<{ type: string; id: string }>(`SELECT DISTINCT x.type, x.id FROM ${tables[family]} x WHERE ${missing("x")} ORDER BY 1, 2`);
    for (const { type, id } of rows) findings.push({ problem: `${family} index rows of a resource without a resource row`, keys: [`${type}/${id}`] });
  }

  const claims = await client.query<{ key: string; type: string; id: string }>(`SELECT c.key, c.type, c.id FROM ${tables.claim} c WHERE ${missing("c")} ORDER BY 1`);
  for (const claim of claims) findings.push({ problem: "claim names a resource without a resource row", keys: [`${claim.type}/${claim.id}`, `claim ${claim.key}`] });
}
