/** Parts of one response that the benchmark uses: status, version from `ETag`, `Location` path and parsed body. */
export interface Exchange {
  status: number;
  /** Version number from a weak `ETag` such as `W/"3"`. */
  version: number | undefined;
  /** `Type/id` from the `Location` header of a create. */
  location: string | undefined;
  body: unknown;
}

/** Raised when a request got no response. `aborted` is true when the hard stop aborted it, false when the connection failed. */
export class NoResponse extends Error {
  override name = "NoResponse";
  constructor(
    readonly aborted: boolean,
    cause: unknown,
  ) {
    super(aborted ? "The request was aborted by the hard stop." : `The request got no response: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Sends one FHIR request to `origin` + `/fhir` + `path` and reads the whole response. */
export async function exchange(
  origin: string,
  method: string,
  path: string,
  options: { body?: unknown; ifMatch?: number; signal?: AbortSignal } = {},
): Promise<Exchange> {
  const headers: Record<string, string> = { Accept: "application/fhir+json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/fhir+json";
  if (options.ifMatch !== undefined) headers["If-Match"] = `W/"${options.ifMatch}"`;

  // Each request gets its own signal. Passing the hard stop's signal to every fetch made Node 20
  // warn of more than 1,500 abort listeners on it.
  const controller = new AbortController();
  const abort = () => controller.abort();
  options.signal?.addEventListener("abort", abort, { once: true });
  if (options.signal?.aborted === true) controller.abort();
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${origin}/fhir${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: controller.signal,
    });
    text = await response.text();
  } catch (error) {
    throw new NoResponse(options.signal?.aborted === true, error);
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }

  const etag = /^W\/"(\d+)"$/.exec(response.headers.get("etag") ?? "");
  const location = /\/fhir\/([A-Za-z]+\/[A-Za-z0-9.-]+)(?:\/_history\/\d+)?$/.exec(response.headers.get("location") ?? "");
  return {
    status: response.status,
    version: etag === null ? undefined : Number(etag[1]),
    location: location?.[1],
    body: text === "" ? undefined : parseJson(text),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Parses `Type/id/_history/vid` or `Type/id`, as in a transaction response's `location`. */
export function parseLocation(location: unknown): { type: string; id: string; version: number | undefined } | undefined {
  if (typeof location !== "string") return undefined;
  const match = /(?:^|\/)([A-Za-z]+)\/([A-Za-z0-9.-]+)(?:\/_history\/(\d+))?$/.exec(location);
  if (match === null) return undefined;
  return { type: match[1]!, id: match[2]!, version: match[3] === undefined ? undefined : Number(match[3]) };
}
