import { fromEnv } from "@aws-sdk/credential-provider-env";
import { fromHttp } from "@aws-sdk/credential-provider-http";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@aws-sdk/types";

/** Credentials are fetched again when they expire within this time. */
const REFRESH_BEFORE_MS = 5 * 60_000;

/** Options the SDK passes to a credential provider factory; only `logger` is read. */
type ProviderInit = Parameters<typeof fromEnv>[0] & Parameters<typeof fromHttp>[0];

/**
 * Creates the credential chain of Flint's Lambda bundle, which replaces the SDK's default chain there
 * (`@aws-sdk/credential-provider-node`, see `scripts/build-lambda.ts`). A Lambda function gets
 * its role's credentials in the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`); with SnapStart, from a local container endpoint
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI`). The SDK's chain also reads profiles, SSO, web
 * identity and instance metadata, none of which a function uses, and carries the STS, SSO and
 * sign-in clients for them: about 33 KiB gzipped and their start-up cost.
 *
 * The credentials are kept until five minutes before they expire; concurrent callers share one
 * fetch.
 */
export function defaultProvider(init: ProviderInit = {}): AwsCredentialIdentityProvider {
  // fromHttp throws at once when no container endpoint is set, so each provider is made when it is tried.
  const sources = [() => fromEnv(init)(), () => fromHttp(init)()];
  let current: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;

  const fetchCredentials = async (): Promise<AwsCredentialIdentity> => {
    const failures: string[] = [];
    for (const source of sources) {
      try {
        return await source();
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    throw new Error(`No AWS credentials in the environment or from the container endpoint: ${failures.join("; ")}`);
  };

  return async (options?: { forceRefresh?: boolean }) => {
    if (current !== undefined && options?.forceRefresh !== true && !expiresSoon(current)) return current;
    pending ??= fetchCredentials().finally(() => {
      pending = undefined;
    });
    current = await pending;
    return current;
  };
}

function expiresSoon(credentials: AwsCredentialIdentity): boolean {
  return credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < REFRESH_BEFORE_MS;
}
