/**
 * Bun entry point: serves the app with `Bun.serve`. `FLINT_RUNTIME=bun npm start` runs it.
 */
import { runServer } from "./serve.ts";

/** The part of the `Bun` global used here, typed locally because tsc runs with Node's types. */
interface BunApi {
  serve(options: { hostname: string; port: number; fetch(request: Request): Response | Promise<Response> }): { port: number; stop(closeActiveConnections?: boolean): Promise<void> | void };
}

const { Bun } = globalThis as unknown as { Bun: BunApi };

await runServer({
  name: "bun",
  environment: process.env,
  listen: async (fetch, hostname, port) => {
    const server = Bun.serve({ hostname, port, fetch });
    return { port: server.port, close: async () => server.stop() };
  },
  onSignal: (signal, listener) => process.on(signal, listener),
  exit: (code) => process.exit(code),
});
