import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { checkTable, createDocumentClient } from "@flint/dynamodb";
import { checkDatabase, type SqlClient } from "@flint/postgres";
import { exchange, type Exchange } from "./http.ts";
import type { ClientFinding, Pool, Tracked } from "./pool.ts";

/** Requests in flight at a time during the end-to-end check. */
const CHECK_CONCURRENCY = 8;

/** History page size that the end-to-end check requests. It follows `next` links for more. */
const HISTORY_PAGE = 100;

/** Result of the end-to-end check from the client side. */
export interface EndToEndResult {
  /** Resources written by clients whose outcome was seen for every write, and how many of them were checked. */
  eligible: number;
  checked: number;
  /** Resources left out because a write to them got no response. */
  uncertain: number;
  findings: ClientFinding[];
}

/**
 * Checks a sample of the resources that clients created, updated or deleted, after the load has
 * stopped: the current read returns the content and version of the last successful write (or
 * 410 after a delete), and the history contains every version from 1 to that version once.
 */
export async function checkEndToEnd(origin: string, pool: Pool, sampleSize: number, random: () => number): Promise<EndToEndResult> {
  const touched = [...pool.all.values()].filter((tracked) => tracked.touchedByClients);
  const eligible = touched.filter((tracked) => !tracked.uncertain);
  const sample = shuffle(eligible, random).slice(0, sampleSize);
  const findings: ClientFinding[] = [];

  let next = 0;
  const worker = async () => {
    while (next < sample.length) {
      const tracked = sample[next]!;
      next += 1;
      findings.push(...(await checkResource(origin, tracked)));
    }
  };
  await Promise.all(Array.from({ length: CHECK_CONCURRENCY }, worker));
  return { eligible: eligible.length, checked: sample.length, uncertain: touched.length - eligible.length, findings };
}

async function checkResource(origin: string, tracked: Tracked): Promise<ClientFinding[]> {
  const resource = `${tracked.type}/${tracked.id}`;
  const findings: ClientFinding[] = [];
  const expected = tracked.last;

  const current = await exchange(origin, "GET", `/${resource}`);
  if (expected.content === undefined) {
    if (current.status !== 410) findings.push({ problem: `read after the last write (a delete, version ${expected.version}) returned ${current.status}, not 410`, resource });
  } else if (current.status !== 200) {
    findings.push({ problem: `read returned ${current.status}; the last write was version ${expected.version}`, resource });
  } else {
    if (current.version !== expected.version) findings.push({ problem: `read returned version ${current.version ?? "none"}; the last write was version ${expected.version}`, resource });
    const { meta: _meta, ...content } = current.body as Record<string, unknown>;
    if (!isDeepStrictEqual(content, expected.content)) findings.push({ problem: `read content differs from the content written as version ${expected.version}`, resource });
  }

  const versions = await historyVersions(origin, resource);
  if (versions === undefined) {
    findings.push({ problem: "history request failed", resource });
    return findings;
  }
  const numbers = versions.map((version) => version.version).sort((a, b) => a - b);
  const contiguous = numbers.every((number, index) => number === index + 1);
  if (!contiguous || numbers.length !== expected.version) {
    findings.push({ problem: `history holds versions ${numbers.join(",")}; expected 1 to ${expected.version}`, resource });
  }
  const newest = versions.find((version) => version.version === expected.version);
  if (newest !== undefined && newest.deleted !== (expected.content === undefined)) {
    findings.push({ problem: `history version ${expected.version} ${newest.deleted ? "is" : "is not"} a delete, unlike the last write`, resource });
  }
  return findings;
}

/** Reads every page of an instance history and returns each entry's version, or undefined when a page is not 200. */
async function historyVersions(origin: string, resource: string): Promise<{ version: number; deleted: boolean }[] | undefined> {
  const versions: { version: number; deleted: boolean }[] = [];
  let path: string | undefined = `/${resource}/_history?_count=${HISTORY_PAGE}`;
  while (path !== undefined) {
    const page: Exchange = await exchange(origin, "GET", path);
    if (page.status !== 200) return undefined;
    const bundle = page.body as { entry?: { request?: { method?: string }; response?: { etag?: string } }[]; link?: { relation: string; url: string }[] };
    for (const entry of bundle.entry ?? []) {
      const version = /^W\/"(\d+)"$/.exec(entry.response?.etag ?? "");
      versions.push({ version: version === null ? Number.NaN : Number(version[1]), deleted: entry.request?.method === "DELETE" });
    }
    const next = bundle.link?.find((link) => link.relation === "next")?.url;
    path = next === undefined ? undefined : next.slice(next.indexOf("/fhir") + "/fhir".length);
  }
  return versions;
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

/** Result of the store's own consistency checker. */
export interface StoreCheck {
  checker: string;
  findings: { problem: string; keys: string[] }[];
}

/** Runs `checkTable` of `@flint/dynamodb` over the whole table on DynamoDB Local. */
export async function checkDynamoDbTable(endpoint: string, table: string): Promise<StoreCheck> {
  const client = createDocumentClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  try {
    const findings = await checkTable(client as DynamoDBDocumentClient, table);
    return { checker: "checkTable (@flint/dynamodb)", findings };
  } finally {
    client.destroy();
  }
}

/** Runs `checkDatabase` of `@flint/postgres` over the whole schema, on a client that the call opens and closes. */
export async function checkPostgresSchema(openClient: () => Promise<SqlClient>, schema: string): Promise<StoreCheck> {
  const client = await openClient();
  try {
    const findings = await checkDatabase(client, schema);
    return { checker: "checkDatabase (@flint/postgres)", findings };
  } finally {
    await client.close();
  }
}

/** Failures in the server log: error records grouped by message, and 5xx responses per interaction. */
export interface LogSummary {
  errors: { count: number; interaction: string; error: string; message: string; firstStackLine: string }[];
  serverErrorsByInteraction: Record<string, number>;
  /** Lines that are not JSON records, such as a crash trace, except the start-up banner; the last 20. */
  otherLines: string[];
}

/** Summarizes the server log, which contains request summaries and error records but no bodies. */
export function summarizeServerLog(file: string): LogSummary {
  const groups = new Map<string, LogSummary["errors"][number]>();
  const serverErrorsByInteraction: Record<string, number> = {};
  const otherLines: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      if (!line.startsWith("Flint is serving")) otherLines.push(line.slice(0, 300));
      continue;
    }
    if (typeof record.status === "number" && record.status >= 500) {
      const interaction = String(record.interaction ?? "unknown");
      serverErrorsByInteraction[interaction] = (serverErrorsByInteraction[interaction] ?? 0) + 1;
    }
    if (record.level !== "error") continue;
    const interaction = String(record.interaction ?? record.event ?? "unknown");
    const error = String(record.error ?? "");
    const message = String(record.message ?? "").slice(0, 500);
    const key = `${interaction}\n${error}\n${message}`;
    const group = groups.get(key) ?? { count: 0, interaction, error, message, firstStackLine: String(record.stack ?? "").split("\n")[1]?.trim() ?? "" };
    group.count += 1;
    groups.set(key, group);
  }
  return { errors: [...groups.values()].sort((a, b) => b.count - a.count), serverErrorsByInteraction, otherLines: otherLines.slice(-20) };
}
