/**
 * The shared connector pieces against the generic fake: the OAuth2 redirect
 * flow, refresh with rotation and revocation, and the HTTP client's error
 * taxonomy (401 → one refresh and retry; 429 → rate_limited with Retry-After;
 * 5xx and lost responses → transient).
 */
import { FsmError } from '../../connectors/errors';
import { createHttpClient } from '../../connectors/http';
import { type OAuthSettings, authorizeUrl, exchangeCode, refreshTokens } from '../../connectors/oauth';
import type { TokenSource } from '../../connectors/types';
import { FakeFsm } from '../fakes/fake-fsm';

let fake: FakeFsm;
let settings: OAuthSettings;
let writes = 0;
const REDIRECT = 'http://127.0.0.1:1/callback';

beforeAll(async () => {
  fake = new FakeFsm({ name: 'generic', rotateRefreshTokens: true });
  fake.oauthEndpoints({ authorize: '/oauth/authorize', token: '/oauth/token' });
  fake.api('GET', '/thing', async () => ({ ok: true }));
  fake.api('POST', '/thing', async (_req, reply) => {
    writes++;
    if (fake.loseThisResponse(reply)) return reply;
    return { created: writes };
  });
  const url = await fake.start();
  settings = { provider: 'generic', clientId: fake.clientId, clientSecret: fake.clientSecret, authorizeUrl: `${url}/oauth/authorize`, tokenUrl: `${url}/oauth/token` };
});
afterAll(() => fake.stop());
afterEach(() => fake.clearFaults());

async function connect() {
  const res = await fetch(authorizeUrl(settings, REDIRECT, 'state-123'), { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location')!);
  expect(back.searchParams.get('state')).toBe('state-123');
  return exchangeCode(settings, back.searchParams.get('code')!, REDIRECT);
}

function tokenSource(initial: { accessToken: string; refreshToken: string | null }) {
  const state = { ...initial, refreshes: 0 };
  const source: TokenSource = {
    accessToken: async () => state.accessToken,
    refresh: async () => {
      state.refreshes++;
      const next = await refreshTokens(settings, state.refreshToken!);
      Object.assign(state, next);
      return next.accessToken;
    },
  };
  return { source, state };
}

const request = createHttpClient({ provider: 'generic' });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as FsmError);

test('the redirect flow issues tokens; a rotated refresh token invalidates the old one; a revoked grant is auth_revoked', async () => {
  const tokens = await connect();
  expect(tokens.accessToken).toMatch(/^at-/);
  expect(tokens.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3500_000);

  const rotated = await refreshTokens(settings, tokens.refreshToken!);
  expect(rotated.refreshToken).not.toBe(tokens.refreshToken);
  const reused = await failure(refreshTokens(settings, tokens.refreshToken!));
  expect(reused).toBeInstanceOf(FsmError);
  expect(reused.kind).toBe('auth_revoked');

  fake.revokeAll();
  expect((await failure(refreshTokens(settings, rotated.refreshToken!))).kind).toBe('auth_revoked');
});

test('a 401 refreshes once and retries; the retried call succeeds', async () => {
  const { source, state } = tokenSource(await connect());
  fake.expireAccessTokens();
  const res = await request<{ ok: boolean }>(source, { url: `${fake.url}/thing` });
  expect(res.body).toEqual({ ok: true });
  expect(state.refreshes).toBe(1);
});

test('429 is rate_limited with Retry-After; 5xx and a lost response are transient', async () => {
  const { source } = tokenSource(await connect());
  fake.rateLimitNext(1, 7);
  const limited = await failure(request(source, { url: `${fake.url}/thing` }));
  expect(limited).toMatchObject({ kind: 'rate_limited', details: { retryAfterMs: 7000, status: 429 } });

  fake.failNext(1, 503);
  expect(await failure(request(source, { url: `${fake.url}/thing` }))).toMatchObject({ kind: 'transient', details: { status: 503 } });

  const before = writes;
  fake.loseResponseAfterWrite(1);
  expect(await failure(request(source, { method: 'POST', url: `${fake.url}/thing`, body: {} }))).toMatchObject({ kind: 'transient' });
  expect(writes).toBe(before + 1); // the write was applied all the same
});
