/**
 * Provider → what it takes to talk to that FSM for one integration: the
 * connector, its OAuth settings, its connection settings and its request
 * pace, all from configuration (config.ts), so tests and staging point every
 * URL at a fake. Activities combine these with the credential store
 * (activities/fsm-access.ts); nothing here touches the database.
 */
import type { FsmConfig } from '../config';
import type { Provider } from '../domain/task';
import { COMMUSOFT_DEFAULTS, type CommusoftCredentials, createCommusoftConnector, getCommusoftToken } from './commusoft';
import { FsmError } from './errors';
import { createJobberConnector } from './jobber';
import type { OAuthSettings, TokenSet } from './oauth';
import { SERVICEM8_SCOPES, createServiceM8Connector } from './servicem8';
import { createSimproConnector, simproDefaults } from './simpro';
import type { ConnectionSettings, FsmConnector } from './types';

/** What the registry needs of an integration row. */
export interface IntegrationTarget {
  id: string;
  provider: Provider;
  /** Non-secret settings: Simpro's build and company. A stored baseUrl is not honoured: tokens go only to configured hosts. */
  settings: { build?: string; companyId?: string };
}

/**
 * A token bucket: up to `capacity` requests at once, then `perSecond`. Keyed
 * by what the FSM counts against (an account, a Simpro build).
 */
export interface RateRule {
  key: string;
  capacity: number;
  perSecond: number;
}

/**
 * A bucket that never lets more than `limit` requests into any `windowSeconds`:
 * a burst of `burst`, then (limit − burst) spread over the window.
 */
function within(key: string, limit: number, windowSeconds: number, burst: number): RateRule {
  return { key, capacity: burst, perSecond: (limit - burst) / windowSeconds };
}

/** Credentials as stored (encrypted) for an integration; `login` is for schemes that log in again instead of refreshing. */
export interface StoredCredentials {
  accessToken: string;
  refreshToken: string | null;
  login?: Record<string, string>;
}

export interface ConnectorRegistry {
  connector(provider: Provider): FsmConnector;
  /** null for Commusoft, which has no OAuth (see relogin). */
  oauthSettings(integration: IntegrationTarget): OAuthSettings | null;
  connectionSettings(integration: IntegrationTarget): ConnectionSettings;
  rateRule(integration: IntegrationTarget): RateRule;
  /** For schemes without refresh tokens: gets a new access token from the stored login (Commusoft's getToken). */
  relogin(integration: IntegrationTarget): ((credentials: StoredCredentials) => Promise<TokenSet>) | null;
}

export function createConnectorRegistry(config: FsmConfig): ConnectorRegistry {
  const connectors: Record<Provider, FsmConnector> = {
    servicem8: createServiceM8Connector(),
    simpro: createSimproConnector(),
    jobber: createJobberConnector({ graphqlVersion: config.jobber.graphqlVersion }),
    commusoft: createCommusoftConnector(config.commusoft.options),
  };
  const commusoft = { ...COMMUSOFT_DEFAULTS, ...config.commusoft.options };

  function simpro(integration: IntegrationTarget) {
    const { build } = integration.settings;
    const c = config.simpro;
    // A configured URL replaces every build's; otherwise the build must be known.
    const derived = build ? simproDefaults(build) : null;
    const pick = (configured: string | undefined, key: 'baseUrl' | 'authorizeUrl' | 'tokenUrl') => {
      const value = configured ?? derived?.[key];
      if (!value) throw new FsmError('payload_rejected', 'simpro: the integration has no build (settings.build) and SIMPRO_BASE_URL is not set', { provider: 'simpro' });
      return value;
    };
    return { baseUrl: pick(c.baseUrl, 'baseUrl'), authorizeUrl: pick(c.authorizeUrl, 'authorizeUrl'), tokenUrl: pick(c.tokenUrl, 'tokenUrl') };
  }

  return {
    connector: (provider) => connectors[provider],

    oauthSettings(integration) {
      switch (integration.provider) {
        case 'servicem8': {
          const c = config.servicem8;
          return { provider: 'servicem8', clientId: c.clientId, clientSecret: c.clientSecret, authorizeUrl: c.authorizeUrl, tokenUrl: c.tokenUrl, scopes: SERVICEM8_SCOPES };
        }
        case 'simpro': {
          const { authorizeUrl, tokenUrl } = simpro(integration);
          return { provider: 'simpro', clientId: config.simpro.clientId, clientSecret: config.simpro.clientSecret, authorizeUrl, tokenUrl };
        }
        case 'jobber': {
          const c = config.jobber;
          return { provider: 'jobber', clientId: c.clientId, clientSecret: c.clientSecret, authorizeUrl: c.authorizeUrl, tokenUrl: c.tokenUrl };
        }
        case 'commusoft':
          return null;
      }
    },

    connectionSettings(integration) {
      switch (integration.provider) {
        case 'servicem8':
          return { baseUrl: config.servicem8.baseUrl };
        case 'simpro':
          return { baseUrl: simpro(integration).baseUrl, companyId: integration.settings.companyId ?? '0' };
        case 'jobber':
          return { baseUrl: config.jobber.baseUrl };
        case 'commusoft':
          return { baseUrl: config.commusoft.baseUrl };
      }
    },

    /**
     * The vendors' published limits (fsm-apis.md): ServiceM8 180 a minute per
     * account, Jobber 2,500 per 5 minutes per app and account (its query-cost
     * bucket answers THROTTLED on its own, which maps to rate_limited), Simpro
     * 10 a second per build, shared by every integration on that build.
     * Commusoft publishes none (UNVERIFIED): 300 a minute as a guess.
     */
    rateRule(integration) {
      switch (integration.provider) {
        case 'servicem8':
          return within(`servicem8:${integration.id}`, 180, 60, 10);
        case 'simpro':
          return within(`simpro:${new URL(simpro(integration).baseUrl).host}`, 10, 1, 2);
        case 'jobber':
          return within(`jobber:${integration.id}`, 2500, 300, 50);
        case 'commusoft':
          return within(`commusoft:${integration.id}`, 300, 60, 10);
      }
    },

    relogin(integration) {
      if (integration.provider !== 'commusoft') return null;
      const baseUrl = config.commusoft.baseUrl;
      return async (credentials) => {
        const login = credentials.login;
        if (!login?.username || !login.password) {
          throw new FsmError('auth_revoked', 'commusoft: no stored login to get a new token with; reconnect the integration', { provider: 'commusoft' });
        }
        const full: CommusoftCredentials = {
          clientId: login.clientId || config.commusoft.clientId,
          username: login.username,
          password: login.password,
          applicationId: login.applicationId ?? '',
        };
        // Commusoft's tokens carry no expiry we know of: they are renewed after a 401.
        return { accessToken: await getCommusoftToken(baseUrl, full, commusoft.tokenPath), refreshToken: null, expiresAt: null };
      };
    },
  };
}
