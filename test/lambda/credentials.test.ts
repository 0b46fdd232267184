import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultProvider } from "../../functions/credentials.ts";

/**
 * The credential chain of the Lambda bundle: the environment first, then the container endpoint
 * that Lambda SnapStart uses, each checked against a real HTTP server on 127.0.0.1.
 */
const CONTAINER_VARIABLES = ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"];
const ENVIRONMENT_VARIABLES = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"];

let server: Server | undefined;

function clearCredentials(): void {
  for (const name of [...CONTAINER_VARIABLES, ...ENVIRONMENT_VARIABLES]) vi.stubEnv(name, undefined);
}

/** Serves container credentials that expire at `expiration`, counting the requests. */
async function startContainerEndpoint(expiration: Date): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  server = createServer((request, response) => {
    requests++;
    const authorized = request.headers.authorization === "container-token";
    response.writeHead(authorized ? 200 : 403, { "content-type": "application/json" });
    response.end(JSON.stringify({ AccessKeyId: `container-key-${requests}`, SecretAccessKey: "container-secret", Token: "container-session", Expiration: expiration.toISOString() }));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/credentials`, requests: () => requests };
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

describe("Lambda credential chain", () => {
  it("reads credentials from the environment", async () => {
    clearCredentials();
    vi.stubEnv("AWS_ACCESS_KEY_ID", "env-key");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "env-secret");
    vi.stubEnv("AWS_SESSION_TOKEN", "env-session");

    const credentials = await defaultProvider()();

    expect(credentials).toMatchObject({ accessKeyId: "env-key", secretAccessKey: "env-secret", sessionToken: "env-session" });
  });

  it("falls back to the container endpoint", async () => {
    clearCredentials();
    const endpoint = await startContainerEndpoint(new Date(Date.now() + 3_600_000));
    vi.stubEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url);
    vi.stubEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token");

    const provider = defaultProvider();
    const [first, second] = await Promise.all([provider(), provider()]);
    const third = await provider();

    expect(first).toMatchObject({ accessKeyId: "container-key-1", sessionToken: "container-session" });
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(endpoint.requests()).toBe(1);
  });

  it("fetches credentials again before they expire", async () => {
    clearCredentials();
    const endpoint = await startContainerEndpoint(new Date(Date.now() + 60_000));
    vi.stubEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", endpoint.url);
    vi.stubEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-token");

    const provider = defaultProvider();
    await provider();
    const renewed = await provider();

    expect(renewed.accessKeyId).toBe("container-key-2");
    expect(endpoint.requests()).toBe(2);
  });

  it("names both sources when neither has credentials", async () => {
    clearCredentials();

    await expect(defaultProvider()()).rejects.toThrow(/No AWS credentials in the environment or from the container endpoint/);
  });
});
