import { serve as serveNode } from "@hono/node-server";
import { loadConfig } from "./config.ts";
import { launch } from "./launch.ts";
import { reportStartFailure, serve, type RuntimeHost } from "./serve.ts";

/**
 * Entry point behind `npm start`: validates the environment, then serves HTTP on Node, or with
 * `FLINT_RUNTIME=deno` or `bun` starts that runtime as a child process (see `launch.ts`).
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (config.runtime !== "node") return launch(config, config.runtime);
  return serve(config, nodeHost);
}

const nodeHost: RuntimeHost = {
  name: "node",
  environment: process.env,
  listen: (fetch, hostname, port) =>
    new Promise((resolve) => {
      const server = serveNode({ fetch, hostname, port }, (info) => {
        // The stop does not wait for idle keep-alive connections to close.
        resolve({ port: info.port, close: async () => void server.close() });
      });
    }),
  onSignal: (signal, listener) => process.on(signal, listener),
  exit: (code) => process.exit(code),
};

main().catch((error: unknown) => {
  reportStartFailure(error);
  process.exit(1);
});
