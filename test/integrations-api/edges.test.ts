/**
 * The edges of the integrations API, route by route: the tables cover every
 * route it serves; an engineer or an API key gets 403, no token 401; another
 * tenant's admin gets 404 for this tenant's integrations; bad input gets a
 * 4xx JSON error. None of them changes a thing.
 */
import type { InjectOptions } from 'fastify';
import { expectError, servedRoutes } from '../helpers/api-checks';
import { type TenantFixture, createTenantFixture } from '../helpers/harness';
import { TEST_TIMEOUT_MS, type World, dashboard, pauseSchedule, startWorld } from './fixture';
import { INTEGRATION_ROUTES, type IntegrationRoute } from './routes';

let w: World;
let api: ReturnType<typeof dashboard>;
let a: TenantFixture;
let b: TenantFixture;
/** A's integrations: a connected Jobber one, a connected Commusoft one, and a ServiceM8 one never connected. */
const A = { jobber: '', commusoft: '', pending: '' };
const MISSING = '00000000-0000-4000-8000-000000000000';

jest.setTimeout(TEST_TIMEOUT_MS);

beforeAll(async () => {
  w = await startWorld();
  api = dashboard(w);
  [a, b] = await Promise.all([createTenantFixture(w.h.sql, 'A'), createTenantFixture(w.h.sql, 'B')]);
  A.jobber = (await api.connect(a.admin.auth, 'jobber')).id;
  A.commusoft = (await api.connect(a.admin.auth, 'commusoft')).id;
  A.pending = (await api.create(a.admin.auth, { provider: 'servicem8' })).integration.id;
  // Only the tests change A's rows: no scheduled sync in between.
  await Promise.all([pauseSchedule(w, A.jobber), pauseSchedule(w, A.commusoft)]);
  await api.synced(a.admin.auth, A.jobber);
  await api.synced(a.admin.auth, A.commusoft);
});
afterAll(() => w?.stop());

/** Everything of the tenant's integrations the API could change. */
async function integrationRows(tenantId: string) {
  return [...(await w.h.sql`SELECT to_jsonb(i) AS row FROM integrations i WHERE tenant_id = ${tenantId} ORDER BY id`)];
}

async function expectUnchanged(tenantId: string, act: () => Promise<void>) {
  const before = await integrationRows(tenantId);
  await act();
  expect(await integrationRows(tenantId)).toEqual(before);
}

const send = (auth: Record<string, string>, req: InjectOptions) => w.h.app.inject({ ...req, headers: { ...req.headers, ...auth } });

/** The admin routes, each with a request that would succeed for A's admin. */
const ADMIN: { route: IntegrationRoute; request: () => InjectOptions; namesOne: boolean }[] = [
  { route: 'GET /v1/integrations', request: () => ({ method: 'GET', url: '/v1/integrations' }), namesOne: false },
  { route: 'POST /v1/integrations', request: () => ({ method: 'POST', url: '/v1/integrations', payload: { provider: 'jobber' } }), namesOne: false },
  { route: 'GET /v1/integrations/:id', request: () => ({ method: 'GET', url: `/v1/integrations/${A.jobber}` }), namesOne: true },
  { route: 'PATCH /v1/integrations/:id', request: () => ({ method: 'PATCH', url: `/v1/integrations/${A.jobber}`, payload: { writebackEnabled: true } }), namesOne: true },
  { route: 'DELETE /v1/integrations/:id', request: () => ({ method: 'DELETE', url: `/v1/integrations/${A.jobber}` }), namesOne: true },
  { route: 'POST /v1/integrations/:id/reconnect', request: () => ({ method: 'POST', url: `/v1/integrations/${A.jobber}/reconnect` }), namesOne: true },
  { route: 'POST /v1/integrations/:id/sync', request: () => ({ method: 'POST', url: `/v1/integrations/${A.jobber}/sync` }), namesOne: true },
];

const json = (method: InjectOptions['method'], url: string, payload?: unknown): InjectOptions => ({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
const login = () => api.commusoftLogin();

/** Bad requests per route: what each gets. */
const BAD: Record<IntegrationRoute, { name: string; request: () => InjectOptions; status: number; error: string; message?: RegExp }[]> = {
  'GET /v1/integrations': [{ name: 'a query it does not take', request: () => json('GET', '/v1/integrations?status=connected'), status: 400, error: 'validation_failed' }],
  'POST /v1/integrations': [
    { name: 'no provider', request: () => json('POST', '/v1/integrations', {}), status: 400, error: 'validation_failed', message: /provider/ },
    { name: 'an unknown provider', request: () => json('POST', '/v1/integrations', { provider: 'fieldpulse' }), status: 400, error: 'validation_failed' },
    { name: 'an unknown field', request: () => json('POST', '/v1/integrations', { provider: 'jobber', colour: 'red' }), status: 400, error: 'validation_failed', message: /colour/ },
    { name: 'a blank name', request: () => json('POST', '/v1/integrations', { provider: 'jobber', displayName: '   ' }), status: 400, error: 'validation_failed' },
    { name: 'an interval under a minute', request: () => json('POST', '/v1/integrations', { provider: 'jobber', syncIntervalSeconds: 59 }), status: 400, error: 'validation_failed' },
    { name: 'an interval over a day', request: () => json('POST', '/v1/integrations', { provider: 'jobber', syncIntervalSeconds: 86_401 }), status: 400, error: 'validation_failed' },
    {
      name: 'a Simpro build on a host of its own (our client secret would go there)',
      request: () => json('POST', '/v1/integrations', { provider: 'simpro', settings: { build: 'https://evil.example.com' } }),
      status: 400,
      error: 'validation_failed',
      message: /build/,
    },
    { name: 'settings for Jobber', request: () => json('POST', '/v1/integrations', { provider: 'jobber', settings: { build: 'acme' } }), status: 400, error: 'bad_request', message: /Simpro only/ },
    { name: 'Commusoft without its login', request: () => json('POST', '/v1/integrations', { provider: 'commusoft' }), status: 400, error: 'bad_request', message: /login/ },
    { name: 'a login for Jobber', request: () => json('POST', '/v1/integrations', { provider: 'jobber', login: login() }), status: 400, error: 'bad_request', message: /OAuth/ },
    {
      name: 'a Commusoft login without a password',
      request: () => json('POST', '/v1/integrations', { provider: 'commusoft', login: { username: 'u', applicationId: 'a' } }),
      status: 400,
      error: 'validation_failed',
      message: /password/,
    },
    {
      name: 'a body that is not JSON',
      request: () => ({ method: 'POST', url: '/v1/integrations', headers: { 'content-type': 'application/json' }, payload: '{"provider":' }),
      status: 400,
      error: 'bad_request',
    },
  ],
  'GET /v1/integrations/:id': [
    { name: 'an id that is not a uuid', request: () => json('GET', '/v1/integrations/42'), status: 400, error: 'validation_failed' },
    { name: 'an id nobody has', request: () => json('GET', `/v1/integrations/${MISSING}`), status: 404, error: 'not_found', message: /integration not found/ },
  ],
  'PATCH /v1/integrations/:id': [
    { name: 'nothing to change', request: () => json('PATCH', `/v1/integrations/${A.jobber}`, {}), status: 400, error: 'validation_failed' },
    { name: 'an interval under a minute', request: () => json('PATCH', `/v1/integrations/${A.jobber}`, { syncIntervalSeconds: 30 }), status: 400, error: 'validation_failed' },
    { name: 'writebackEnabled not a boolean', request: () => json('PATCH', `/v1/integrations/${A.jobber}`, { writebackEnabled: 'yes' }), status: 400, error: 'validation_failed' },
    { name: 'the provider', request: () => json('PATCH', `/v1/integrations/${A.jobber}`, { provider: 'simpro' }), status: 400, error: 'validation_failed' },
    { name: 'an id nobody has', request: () => json('PATCH', `/v1/integrations/${MISSING}`, { writebackEnabled: true }), status: 404, error: 'not_found' },
  ],
  'DELETE /v1/integrations/:id': [
    { name: 'an id that is not a uuid', request: () => json('DELETE', '/v1/integrations/nope'), status: 400, error: 'validation_failed' },
    { name: 'an id nobody has', request: () => json('DELETE', `/v1/integrations/${MISSING}`), status: 404, error: 'not_found' },
  ],
  'POST /v1/integrations/:id/reconnect': [
    { name: 'a login for an OAuth FSM', request: () => json('POST', `/v1/integrations/${A.jobber}/reconnect`, { login: login() }), status: 400, error: 'bad_request' },
    { name: 'Commusoft without a login', request: () => json('POST', `/v1/integrations/${A.commusoft}/reconnect`, {}), status: 400, error: 'bad_request', message: /login/ },
    {
      name: 'a Commusoft login Commusoft refuses',
      request: () => json('POST', `/v1/integrations/${A.commusoft}/reconnect`, { login: { ...login(), password: 'wrong' } }),
      status: 400,
      error: 'fsm_refused',
    },
    { name: 'an unknown field', request: () => json('POST', `/v1/integrations/${A.jobber}/reconnect`, { force: true }), status: 400, error: 'validation_failed' },
    { name: 'an id nobody has', request: () => json('POST', `/v1/integrations/${MISSING}/reconnect`), status: 404, error: 'not_found' },
  ],
  'POST /v1/integrations/:id/sync': [
    { name: 'an id that is not a uuid', request: () => json('POST', '/v1/integrations/x/sync'), status: 400, error: 'validation_failed' },
    { name: 'an integration never connected', request: () => json('POST', `/v1/integrations/${A.pending}/sync`), status: 409, error: 'needs_reconnect' },
    { name: 'an id nobody has', request: () => json('POST', `/v1/integrations/${MISSING}/sync`), status: 404, error: 'not_found' },
  ],
  'GET /v1/oauth/callback': [
    { name: 'no state', request: () => json('GET', '/v1/oauth/callback?code=abc'), status: 400, error: 'validation_failed', message: /state/ },
    { name: 'a state that is not ours', request: () => json('GET', '/v1/oauth/callback?code=abc&state=v1.e30.AAAA'), status: 400, error: 'invalid_state' },
  ],
  'POST /v1/webhooks/:provider/:integrationId': [
    { name: 'an unknown provider', request: () => json('POST', `/v1/webhooks/fieldpulse/${A.jobber}`, {}), status: 400, error: 'validation_failed' },
    { name: 'an id that is not a uuid', request: () => json('POST', '/v1/webhooks/jobber/123', {}), status: 400, error: 'validation_failed' },
    {
      name: 'a body over 1 MB',
      request: () => ({ method: 'POST', url: `/v1/webhooks/jobber/${A.jobber}`, headers: { 'content-type': 'application/json' }, payload: `"${'x'.repeat(1024 * 1024)}"` }),
      status: 413,
      error: 'payload_too_large',
    },
  ],
  'POST /v1/webhooks/jobber': [
    { name: 'no signature', request: () => json('POST', '/v1/webhooks/jobber', { data: { webHookEvent: { topic: 'JOB_UPDATE', accountId: 'a', itemId: 'j' } } }), status: 401, error: 'unauthorized' },
    {
      name: 'a body over 1 MB',
      request: () => ({ method: 'POST', url: '/v1/webhooks/jobber', headers: { 'content-type': 'application/json' }, payload: `"${'x'.repeat(1024 * 1024)}"` }),
      status: 413,
      error: 'payload_too_large',
    },
  ],
};

test('the tables cover every route of the integrations API', async () => {
  await w.h.app.ready();
  const served = servedRoutes(w.h.app).filter((r) => /^\w+ \/v1\/(integrations|oauth|webhooks)/.test(r));
  expect(served.sort()).toEqual([...INTEGRATION_ROUTES].sort());
  expect(Object.keys(BAD).sort()).toEqual([...INTEGRATION_ROUTES].sort());
  expect(ADMIN.map((c) => c.route).sort()).toEqual(INTEGRATION_ROUTES.filter((r) => r.includes('/integrations')).sort());
});

describe.each(ADMIN)('$route', ({ request, namesOne }) => {
  test('an engineer gets 403, an API key 403, no token 401; nothing changes', async () => {
    await expectUnchanged(a.tenantId, async () => {
      expectError(await send(a.engineer.auth, request()), 403, 'forbidden', /only a tenant admin/);
      expectError(await send(a.apiKey.auth, request()), 403, 'forbidden', /only a tenant admin/);
      expectError(await send({}, request()), 401, 'unauthorized');
    });
  });

  if (namesOne) {
    test("another tenant's admin gets 404 for A's integration and changes nothing", async () => {
      await expectUnchanged(a.tenantId, async () => {
        const res = await send(b.admin.auth, request());
        expectError(res, 404, 'not_found', /integration not found/);
        expect(res.body).not.toContain(A.jobber);
      });
    });
  }
});

test("one tenant's list shows none of another's integrations", async () => {
  const res = await send(b.admin.auth, { method: 'GET', url: '/v1/integrations' });
  expect(res.json()).toEqual({ items: [] });
});

describe.each(INTEGRATION_ROUTES)('%s', (route) => {
  test.each(BAD[route].map((c) => [c.name, c] as const))('%s: a 4xx JSON error, nothing changes', async (_name, c) => {
    await expectUnchanged(a.tenantId, async () => {
      expectError(await send(a.admin.auth, c.request()), c.status, c.error, c.message);
    });
  });
});
