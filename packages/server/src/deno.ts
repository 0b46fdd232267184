/**
 * Deno entry point: serves the app with `Deno.serve`. `FLINT_RUNTIME=deno npm start` runs it
 * with the permissions its configuration needs (see `launch.ts`).
 */
import { runServer, type FetchHandler } from "./serve.ts";

/** The part of the `Deno` namespace used here, typed locally because tsc runs with Node's types. */
interface DenoApi {
  serve(options: { hostname: string; port: number; onListen(): void }, handler: FetchHandler): { addr: { port: number }; shutdown(): Promise<void> };
  env: { toObject(): Record<string, string> };
  addSignalListener(signal: "SIGINT" | "SIGTERM", listener: () => void): void;
  exit(code: number): never;
}

const { Deno } = globalThis as unknown as { Deno: DenoApi };

await runServer({
  name: "deno",
  environment: Deno.env.toObject(),
  listen: async (fetch, hostname, port) => {
    // A no-op onListen replaces the "Listening on" line that Deno prints by default.
    const server = Deno.serve({ hostname, port, onListen: () => {} }, fetch);
    return { port: server.addr.port, close: () => server.shutdown() };
  },
  onSignal: (signal, listener) => Deno.addSignalListener(signal, listener),
  exit: (code) => Deno.exit(code),
});
