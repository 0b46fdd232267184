/** Status and whole body text of a response. */
export interface Reply {
  status: number;
  text: string;
}

/** Sends one request to the FHIR base: `path` starts after `/fhir`, such as `/Patient?name=x`, or is empty for the base. */
export type Send = (method: string, path: string, options?: { body?: string; headers?: Record<string, string> }) => Promise<Reply>;

/** Anything with a Fetch-API `fetch`, such as the Hono app. */
interface Fetcher {
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * Sends requests to the app in this process through `app.fetch`, so no HTTP server or socket
 * is involved. `origin` only fills the request URL.
 */
export function inProcess(app: Fetcher, origin: string): Send {
  return async (method, path, options = {}) => {
    const request = new Request(`${origin}/fhir${path}`, { method, headers: options.headers ?? {}, ...(options.body === undefined ? {} : { body: options.body }) });
    const response = await app.fetch(request);
    return { status: response.status, text: await response.text() };
  };
}

/** Sends requests over HTTP with Node's `fetch` to a server at `origin`, such as `http://127.0.0.1:8080`. */
export function overHttp(origin: string): Send {
  return async (method, path, options = {}) => {
    const response = await fetch(`${origin}/fhir${path}`, { method, headers: options.headers ?? {}, ...(options.body === undefined ? {} : { body: options.body }) });
    return { status: response.status, text: await response.text() };
  };
}
