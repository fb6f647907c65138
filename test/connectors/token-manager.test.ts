/**
 * The token manager against a real database and a fake OAuth server: one
 * refresh at a time per integration, rotated refresh tokens saved, a revoked
 * grant turning the integration to needs_reconnect with its error, unless a
 * reconnect has replaced the credentials it was seen with.
 */
import { randomBytes } from 'node:crypto';
import { createTokenSource } from '../../activities/token-manager';
import type { OAuthSettings } from '../../connectors/oauth';
import { CredentialCipher } from '../../db/crypto';
import { createTenant } from '../../db/repositories/accounts';
import { saveConnection } from '../../db/repositories/integration-admin';
import { type ConnectionSeen, createIntegration, getIntegration, markNeedsReconnect, saveCredentials } from '../../db/repositories/integrations';
import { createSql, type Sql } from '../../db/sql';
import { FakeFsm } from '../fakes/fake-fsm';
import { env, firstRow } from '../helpers/harness';

let sql: Sql;
let fake: FakeFsm;
let oauth: OAuthSettings;
const cipher = new CredentialCipher(randomBytes(32).toString('base64'));

beforeAll(async () => {
  sql = createSql(env('TEST_DATABASE_URL'), { max: 6 });
  fake = new FakeFsm({ name: 'oauth', rotateRefreshTokens: true });
  fake.oauthEndpoints({ authorize: '/authorize', token: '/token' });
  const url = await fake.start();
  oauth = { provider: 'jobber', clientId: fake.clientId, clientSecret: fake.clientSecret, authorizeUrl: `${url}/authorize`, tokenUrl: `${url}/token` };
});
afterAll(async () => {
  await fake.stop();
  await sql.end();
});

async function connectedIntegration(expiresInMs: number) {
  const tenant = await createTenant(sql, 'Tokens');
  const integration = await createIntegration(sql, tenant.id, { provider: 'jobber', displayName: 'Jobber', syncDirection: 'both', settings: {} });
  const issued = fake.issueTokens();
  await saveCredentials(sql, cipher, tenant.id, integration.id, { accessToken: issued.access_token, refreshToken: issued.refresh_token }, new Date(Date.now() + expiresInMs));
  return { tenantId: tenant.id, integrationId: integration.id, issued };
}

const tokenCalls = () => fake.requests.filter((r) => r.path === '/token').length;

test('a fresh token is used as is; credentials are stored encrypted', async () => {
  const ref = await connectedIntegration(3600_000);
  const source = createTokenSource({ sql, cipher }, { ...ref, oauth });
  const before = tokenCalls();
  expect(await source.accessToken()).toBe(ref.issued.access_token);
  expect(tokenCalls()).toBe(before);
  const { credentials } = await firstRow(sql<{ credentials: string }[]>`SELECT credentials FROM integrations WHERE id = ${ref.integrationId}`);
  expect(credentials).not.toContain(ref.issued.refresh_token);
});

test('near expiry, five concurrent callers cause one refresh, and the rotated refresh token is saved', async () => {
  const ref = await connectedIntegration(10_000);
  const before = tokenCalls();
  const tokens = await Promise.all(Array.from({ length: 5 }, () => createTokenSource({ sql, cipher }, { ...ref, oauth }).accessToken()));
  expect(tokenCalls()).toBe(before + 1);
  expect(new Set(tokens).size).toBe(1);
  expect(tokens[0]).not.toBe(ref.issued.access_token);
  // The old refresh token is dead (rotation); the saved one works.
  const again = createTokenSource({ sql, cipher }, { ...ref, oauth });
  await sql`UPDATE integrations SET token_expires_at = now() WHERE id = ${ref.integrationId}`;
  expect(await again.accessToken()).not.toBe(tokens[0]);
});

test('after a 401, concurrent refresh() calls refresh once', async () => {
  const ref = await connectedIntegration(3600_000);
  const sources = Array.from({ length: 3 }, () => createTokenSource({ sql, cipher }, { ...ref, oauth }));
  await Promise.all(sources.map((s) => s.accessToken()));
  const before = tokenCalls();
  const refreshed = await Promise.all(sources.map((s) => s.refresh()));
  expect(tokenCalls()).toBe(before + 1);
  expect(new Set(refreshed).size).toBe(1);
});

test('a revoked grant turns the integration to needs_reconnect with the error and its time', async () => {
  const ref = await connectedIntegration(0);
  fake.revokeAll();
  await expect(createTokenSource({ sql, cipher }, { ...ref, oauth }).accessToken()).rejects.toMatchObject({ kind: 'auth_revoked' });
  const integration = await getIntegration(sql, ref.tenantId, ref.integrationId);
  expect(integration).toMatchObject({ status: 'needs_reconnect', lastError: expect.stringContaining('invalid_grant') });
  expect(integration!.lastErrorAt).toBeInstanceOf(Date);

  // Reconnecting (new credentials) clears it.
  const issued = fake.issueTokens();
  await saveCredentials(sql, cipher, ref.tenantId, ref.integrationId, { accessToken: issued.access_token, refreshToken: issued.refresh_token }, null);
  expect(await getIntegration(sql, ref.tenantId, ref.integrationId)).toMatchObject({ status: 'connected', lastError: null });
  expect(await createTokenSource({ sql, cipher }, { ...ref, oauth }).accessToken()).toBe(issued.access_token);
});

test("a refresh leaves a failed sync's error on the card: only a good sync or a reconnect clears it", async () => {
  const ref = await connectedIntegration(0);
  await sql`UPDATE integrations SET status = 'error', last_error = 'simpro 422: refused', last_error_at = now() WHERE id = ${ref.integrationId}`;
  expect(await createTokenSource({ sql, cipher }, { ...ref, oauth }).accessToken()).not.toBe(ref.issued.access_token);
  expect(await getIntegration(sql, ref.tenantId, ref.integrationId)).toMatchObject({ status: 'error', lastError: 'simpro 422: refused' });
});

test('needs_reconnect is written only for the connection a failure was seen with, and keeps the error that caused it', async () => {
  const ref = await connectedIntegration(3600_000);
  const source = createTokenSource({ sql, cipher }, { ...ref, oauth });
  await source.accessToken();
  const seen = { generation: source.generation()! };
  const mark = (error: string, guard?: ConnectionSeen) => markNeedsReconnect(sql, ref.tenantId, ref.integrationId, error, guard);
  const card = () => getIntegration(sql, ref.tenantId, ref.integrationId);

  // A reconnect lands after the failure was seen: the failure no longer counts.
  const issued = fake.issueTokens();
  await sql.begin((tx) => saveConnection(tx, cipher, ref.tenantId, ref.integrationId, { accessToken: issued.access_token, refreshToken: issued.refresh_token }, null));
  expect(await mark('the old grant was refused', seen)).toBe(false);
  expect(await card()).toMatchObject({ status: 'connected', lastError: null });
  // Nor does an FSM event from before the reconnect.
  expect(await mark('app disconnected a minute ago', { at: new Date(Date.now() - 60_000) })).toBe(false);

  // Seen with the current connection: it counts, and later failures keep its error.
  await source.accessToken();
  expect(await mark('the grant was refused', { generation: source.generation()! })).toBe(true);
  expect(await mark('the integration needs a reconnect')).toBe(false);
  expect(await card()).toMatchObject({ status: 'needs_reconnect', lastError: 'the grant was refused' });
});
