/** Connecting integrations in tests as the (future) integrations API will: credentials as they are stored. */
import type { ConnectorRegistry, IntegrationTarget } from '../../connectors/registry';
import { createConnectorRegistry } from '../../connectors/registry';
import { SERVICEM8_DEFAULTS } from '../../connectors/servicem8';
import { CredentialCipher } from '../../db/crypto';
import { type Credentials, createIntegration, saveCredentials } from '../../db/repositories/integrations';
import type { IntegrationSyncInput } from '../../domain/integration-sync';
import { connect, onFake } from '../connectors/connector-contract';
import type { FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, createTenantFixture } from '../helpers/harness';

/** The OAuth2 redirect flow through the fake, with the registry's settings for this integration. */
export async function oauthCredentials(registry: ConnectorRegistry, integration: IntegrationTarget): Promise<{ credentials: Credentials; expiresAt: Date | null }> {
  const oauth = registry.oauthSettings(integration);
  if (!oauth) throw new Error(`${integration.provider} has no OAuth settings`);
  const tokens = await connect(oauth);
  return { credentials: { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken }, expiresAt: tokens.expiresAt };
}

/** Environment for config.ts that points ServiceM8 at its fake (listening at `url`). */
export function servicem8Env(fake: FakeServiceM8, url: string): Record<string, string> {
  return {
    SERVICEM8_CLIENT_ID: fake.clientId,
    SERVICEM8_CLIENT_SECRET: fake.clientSecret,
    SERVICEM8_BASE_URL: onFake(SERVICEM8_DEFAULTS.baseUrl, url),
    SERVICEM8_AUTHORIZE_URL: onFake(SERVICEM8_DEFAULTS.authorizeUrl, url),
    SERVICEM8_TOKEN_URL: onFake(SERVICEM8_DEFAULTS.tokenUrl, url),
  };
}

/** A new tenant with a ServiceM8 integration, connected through the OAuth2 flow against the harness's configuration. */
export async function connectedServiceM8(h: Harness): Promise<IntegrationSyncInput> {
  const tenant = await createTenantFixture(h.sql, 'Sync');
  const integration = await createIntegration(h.sql, tenant.tenantId, { provider: 'servicem8', displayName: 'SM8', syncDirection: 'import', settings: {} });
  const { credentials, expiresAt } = await oauthCredentials(createConnectorRegistry(h.config.fsm), integration);
  await saveCredentials(h.sql, new CredentialCipher(h.config.credentialsKey), tenant.tenantId, integration.id, credentials, expiresAt);
  return { tenantId: tenant.tenantId, integrationId: integration.id };
}
