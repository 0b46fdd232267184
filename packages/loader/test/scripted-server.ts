import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the scripted server received it. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/**
 * One scripted reply:
 * - a JSON response with a status, optional headers and an optional delay in milliseconds;
 * - `"reset"`: read the whole request body, then destroy the connection without a response;
 * - `"hang"`: read the whole request body and never respond.
 */
export type ScriptedReply = { status: number; headers?: Record<string, string>; body?: unknown; delayMs?: number } | "reset" | "hang";

/** A reply, or a function that picks one from the request. */
export type ScriptStep = ScriptedReply | ((request: ReceivedRequest) => ScriptedReply);

/** A local HTTP server on 127.0.0.1 that sends scripted replies in place of the FHIR server. */
export interface ScriptedServer {
  /** Base URL to post bundles to, such as `http://127.0.0.1:40123/fhir`. */
  baseUrl: string;
  port: number;
  requests: ReceivedRequest[];
  /** Requests waiting for their scripted JSON response right now, and the maximum seen. */
  inFlight: { now: number; max: number };
  close(): Promise<void>;
}

/**
 * Starts a scripted server on a free port, or on `port` when given. Request `i` gets step `i`;
 * requests past the end of the script get the last step, or a 500 when the script is empty.
 */
export async function startScriptedServer(script: readonly ScriptStep[], port = 0): Promise<ScriptedServer> {
  const requests: ReceivedRequest[] = [];
  const inFlight = { now: 0, max: 0 };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const received: ReceivedRequest = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) };
      const step = script[Math.min(requests.length, script.length - 1)];
      requests.push(received);
      const reply = step === undefined ? { status: 500 } : typeof step === "function" ? step(received) : step;
      sendReply(reply, response, inFlight);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${actualPort}/fhir`,
    port: actualPort,
    requests,
    inFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sendReply(reply: ScriptedReply, response: ServerResponse, inFlight: { now: number; max: number }): void {
  if (reply === "reset") {
    response.socket?.destroy();
    return;
  }
  if (reply === "hang") return;

  inFlight.now++;
  inFlight.max = Math.max(inFlight.max, inFlight.now);
  setTimeout(() => {
    inFlight.now--;
    const headers = { "Content-Type": "application/fhir+json", ...reply.headers };
    response.writeHead(reply.status, headers);
    response.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }, reply.delayMs ?? 0);
}

/** Builds a batch-response or transaction-response Bundle with one entry per status. */
export function responseBundle(type: "batch-response" | "transaction-response", statuses: readonly (string | { status: string; outcome: unknown })[]): unknown {
  return {
    resourceType: "Bundle",
    type,
    entry: statuses.map((status) => ({ response: typeof status === "string" ? { status } : status })),
  };
}

/** Builds an OperationOutcome with one error issue. */
export function operationOutcome(diagnostics: string, expression?: string): unknown {
  return {
    resourceType: "OperationOutcome",
    issue: [{ severity: "error", code: "processing", diagnostics, ...(expression === undefined ? {} : { expression: [expression] }) }],
  };
}

/** Returns a port that was free a moment ago, for a test that needs a refused connection. */
export async function findFreePort(): Promise<number> {
  const server = await startScriptedServer([]);
  await server.close();
  return server.port;
}
