import { spawn } from "node:child_process";

/** A plain `node:http` server in a child process, for the cost of the HTTP hop without Flint or a store. */
export interface PlainHttpServer {
  origin: string;
  stop(): Promise<void>;
}

/**
 * Node script of the plain server. It responds to every request with 200, the body in
 * FLINT_BENCH_BODY and the headers of a Flint read, and prints its port once it listens.
 */
const SCRIPT = `
const http = require("node:http");
const { randomUUID } = require("node:crypto");
const body = process.env.FLINT_BENCH_BODY;
const server = http.createServer((request, response) => {
  request.resume();
  response.writeHead(200, {
    "Content-Type": "application/fhir+json; charset=utf-8",
    ETag: 'W/"1"',
    "Last-Modified": new Date().toUTCString(),
    "X-Request-Id": randomUUID(),
  });
  response.end(body);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

/** Starts the plain server on 127.0.0.1 with `body` as every response's body. */
export async function startPlainHttpServer(body: string): Promise<PlainHttpServer> {
  const child = spawn(process.execPath, ["-e", SCRIPT], { env: { ...process.env, FLINT_BENCH_BODY: body }, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`The plain HTTP server exited with code ${code} before it listened.`)));
    child.stdout.setEncoding("utf8").once("data", (text: string) => resolve(Number(text.trim())));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    origin: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
