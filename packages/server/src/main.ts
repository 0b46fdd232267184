import { serve as serveNode } from "@hono/node-server";
import { loadConfig } from "./config.ts";
import { reportStartFailure, serve, type RuntimeHost } from "./serve.ts";

/** Node entry point behind `npm start`: validates the environment, starts the store, serves HTTP. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
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
