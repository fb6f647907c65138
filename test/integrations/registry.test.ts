/**
 * Integration configuration (config.ts) and the connector registry built on
 * it: the credentials key rule, every FSM URL overridable, and what the
 * registry hands activities for an integration.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, INSECURE_DEV_CREDENTIALS_KEY, loadConfig } from '../../config';
import { COMMUSOFT_DEFAULTS } from '../../connectors/commusoft';
import { FsmError } from '../../connectors/errors';
import { JOBBER_DEFAULTS } from '../../connectors/jobber';
import { createConnectorRegistry } from '../../connectors/registry';
import { SERVICEM8_DEFAULTS } from '../../connectors/servicem8';
import { COMMUSOFT_BASE_PATH, FakeCommusoft } from '../fakes/commusoft';

const key = randomBytes(32).toString('base64');

describe('CREDENTIALS_KEY', () => {
  test('production refuses to start without one, or with the development key', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/CREDENTIALS_KEY is required/);
    expect(() => loadConfig({ NODE_ENV: 'production', CREDENTIALS_KEY: INSECURE_DEV_CREDENTIALS_KEY })).toThrow(/development key/);
    // Production asks for its other keys too (the recordings' signing key).
    const production = { NODE_ENV: 'production', RECORDING_URL_KEY: randomBytes(32).toString('base64') };
    expect(loadConfig({ ...production, CREDENTIALS_KEY: key })).toMatchObject({ credentialsKey: key, credentialsKeyIsDevKey: false });
  });

  test('development and tests fall back to the labelled insecure key', () => {
    expect(loadConfig({ NODE_ENV: 'development' })).toMatchObject({ credentialsKey: INSECURE_DEV_CREDENTIALS_KEY, credentialsKeyIsDevKey: true });
    expect(Buffer.from(INSECURE_DEV_CREDENTIALS_KEY, 'base64').toString()).toContain('INSECURE');
  });

  test('a key that is not 32 bytes of base64 is refused', () => {
    for (const bad of [randomBytes(16).toString('base64'), 'not base64!', `${key}x`]) {
      expect(() => loadConfig({ NODE_ENV: 'test', CREDENTIALS_KEY: bad })).toThrow(/32 bytes/);
    }
  });
});

describe('FSM configuration', () => {
  test('defaults are the vendors\' URLs; PUBLIC_URL defaults to the API\'s own address', () => {
    const config = loadConfig({ NODE_ENV: 'test', PORT: '4000' });
    expect(config.publicUrl).toBe('http://127.0.0.1:4000');
    expect(config.fsm.servicem8).toMatchObject({ baseUrl: SERVICEM8_DEFAULTS.baseUrl, authorizeUrl: SERVICEM8_DEFAULTS.authorizeUrl, tokenUrl: SERVICEM8_DEFAULTS.tokenUrl });
    expect(config.fsm.jobber).toMatchObject({ baseUrl: JOBBER_DEFAULTS.baseUrl, graphqlVersion: JOBBER_DEFAULTS.graphqlVersion });
    expect(config.fsm.commusoft).toMatchObject({ baseUrl: COMMUSOFT_DEFAULTS.baseUrl, options: {} });
    expect(config.fsm.simpro.baseUrl).toBeUndefined();
  });

  test('every URL, the Jobber version and each Commusoft path is an environment variable', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      PUBLIC_URL: 'https://hub.example.com/',
      JOBBER_CLIENT_ID: 'jid',
      JOBBER_BASE_URL: 'http://fake:1/api/graphql',
      JOBBER_GRAPHQL_VERSION: '2025-04-16',
      SERVICEM8_TOKEN_URL: 'http://fake:2/oauth/access_token',
      SIMPRO_BASE_URL: 'http://fake:3/api/v1.0',
      COMMUSOFT_JOBS_PATH: '/v2/jobs',
      COMMUSOFT_LIST_KEY: 'data',
      COMMUSOFT_PAGE_SIZE: '25',
    });
    expect(config.publicUrl).toBe('https://hub.example.com');
    expect(config.fsm.jobber).toMatchObject({ clientId: 'jid', baseUrl: 'http://fake:1/api/graphql', graphqlVersion: '2025-04-16' });
    expect(config.fsm.servicem8.tokenUrl).toBe('http://fake:2/oauth/access_token');
    expect(config.fsm.simpro.baseUrl).toBe('http://fake:3/api/v1.0');
    expect(config.fsm.commusoft.options).toEqual({ jobsPath: '/v2/jobs', listKey: 'data', pageSize: 25 });
    expect(() => loadConfig({ NODE_ENV: 'test', SERVICEM8_BASE_URL: 'ftp://x' })).toThrow(/SERVICEM8_BASE_URL/);
  });
});

describe('the registry', () => {
  const integration = (provider: 'servicem8' | 'simpro' | 'jobber' | 'commusoft', settings: { build?: string; companyId?: string } = {}) => ({ id: 'i1', provider, settings });

  test('Simpro: URLs from the integration\'s build, unless configured for every build; the rate is per build', () => {
    const registry = createConnectorRegistry(loadConfig({ NODE_ENV: 'test', SIMPRO_CLIENT_ID: 'sid' }).fsm);
    expect(registry.connectionSettings(integration('simpro', { build: 'acme', companyId: '2' }))).toEqual({ baseUrl: 'https://acme.simprosuite.com/api/v1.0', companyId: '2' });
    expect(registry.oauthSettings(integration('simpro', { build: 'acme' }))).toMatchObject({ clientId: 'sid', tokenUrl: 'https://acme.simprosuite.com/oauth2/token' });
    expect(registry.rateRule({ ...integration('simpro', { build: 'acme' }), id: 'i2' }).key).toBe(registry.rateRule(integration('simpro', { build: 'acme' })).key);
    expect(() => registry.connectionSettings(integration('simpro'))).toThrow(FsmError);

    const staging = createConnectorRegistry(loadConfig({ NODE_ENV: 'test', SIMPRO_BASE_URL: 'http://fake:3/api/v1.0' }).fsm);
    expect(staging.connectionSettings(integration('simpro', { build: 'acme' })).baseUrl).toBe('http://fake:3/api/v1.0');
  });

  test('ServiceM8 and Jobber: OAuth from configuration, paced per integration within their published limits', () => {
    const registry = createConnectorRegistry(loadConfig({ NODE_ENV: 'test' }).fsm);
    expect(registry.oauthSettings(integration('servicem8'))).toMatchObject({ provider: 'servicem8', scopes: expect.arrayContaining(['read_jobs']) });
    expect(registry.relogin(integration('jobber'))).toBeNull();
    for (const [provider, limit, windowSeconds] of [['servicem8', 180, 60], ['jobber', 2500, 300]] as const) {
      const rule = registry.rateRule(integration(provider));
      expect(rule.key).toContain('i1');
      // The most a bucket lets through in one window: its burst plus a window's refill.
      expect(rule.capacity + rule.perSecond * windowSeconds).toBeLessThanOrEqual(limit);
    }
  });

  test('Commusoft: no OAuth; a new token comes from the stored login, and a login that no longer works is auth_revoked', async () => {
    const fake = new FakeCommusoft();
    const baseUrl = `${await fake.start()}${COMMUSOFT_BASE_PATH}`;
    try {
      const registry = createConnectorRegistry(loadConfig({ NODE_ENV: 'test', COMMUSOFT_BASE_URL: baseUrl }).fsm);
      expect(registry.oauthSettings(integration('commusoft'))).toBeNull();
      const relogin = registry.relogin(integration('commusoft'))!;
      const tokens = await relogin({ accessToken: 'old', refreshToken: null, login: { ...fake.credentials } });
      expect(tokens).toMatchObject({ accessToken: expect.any(String), refreshToken: null, expiresAt: null });
      expect(tokens.accessToken).not.toBe('old');
      await expect(relogin({ accessToken: 'old', refreshToken: null })).rejects.toMatchObject({ kind: 'auth_revoked' });
      await expect(relogin({ accessToken: 'old', refreshToken: null, login: { ...fake.credentials, password: 'wrong' } })).rejects.toMatchObject({ kind: 'auth_revoked' });
    } finally {
      await fake.stop();
    }
  });
});
