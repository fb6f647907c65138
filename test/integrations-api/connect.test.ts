/**
 * Connecting FSMs through the integrations API, against the fake FSMs with a
 * real worker, PostgreSQL and Temporal: the real OAuth redirect flow for
 * ServiceM8, Simpro and Jobber (Commusoft by its login), credentials stored
 * encrypted, the schedule and first sync; a tampered, expired, replayed or
 * refused state; a revoked grant shown on the card and cleared by a
 * reconnect; the post-connection setup (writeback); disconnecting.
 */
import { createStateSigner } from '../../api/oauth-state';
import { syncWorkflowId } from '../../domain/ids';
import { expectError } from '../helpers/api-checks';
import { type TenantFixture, createTenantFixture, eventually } from '../helpers/harness';
import {
  type Dashboard,
  OAUTH_PROVIDERS,
  PROVIDERS_UNDER_TEST,
  SETTLE_MS,
  type World,
  importedTaskIds,
  latestSyncRun,
  pauseSchedule,
  scheduleOf,
  storedRow,
  useWorld,
} from './fixture';

let w: World;
let api: Dashboard;
let t: TenantFixture;

useWorld((world, dashboard) => {
  w = world;
  api = dashboard;
});
beforeAll(async () => {
  t = await createTenantFixture(w.h.sql, 'Integrations');
});

/** The claims inside a state, read without the key (the test's view of what the URL carries). */
function stateOf(authorizeUrl: string): { state: string; claims: { t: string; i: string; n: string; x: number } } {
  const state = new URL(authorizeUrl).searchParams.get('state')!;
  return { state, claims: JSON.parse(Buffer.from(state.split('.')[1]!, 'base64url').toString('utf8')) };
}

const callbackUrl = (query: Record<string, string>) => `/v1/oauth/callback?${new URLSearchParams(query)}`;

describe.each(OAUTH_PROVIDERS)('%s through the OAuth redirect flow', (provider) => {
  test('connects: tokens stored encrypted, the schedule made, a first sync run; the callback opens the post-connection setup', async () => {
    const created = await api.create(t.admin.auth, { provider, ...(provider === 'simpro' ? { settings: { build: 'acme', companyId: '0' } } : {}) });
    expect(created.integration).toMatchObject({ provider, status: 'needs_reconnect', writebackEnabled: false, connectedAt: null, lastSyncAt: null });
    const authorize = new URL(created.authorizeUrl!);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${w.h.config.publicUrl}/v1/oauth/callback`);
    expect(stateOf(created.authorizeUrl!).claims).toMatchObject({ t: t.tenantId, i: created.integration.id });
    const id = created.integration.id;

    const landing = await api.authorize(created.authorizeUrl!);
    const res = await api.callback(landing);
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
    const body = res.json<{ integration: { id: string; status: string; connectedAt: string | null }; next: { step: string; integrationUrl: string } }>();
    expect(body.integration).toMatchObject({ id, status: expect.stringMatching(/^(connected|syncing)$/), connectedAt: expect.any(String) });
    expect(body.next).toMatchObject({ step: 'post_connection_setup', integrationUrl: `/v1/integrations/${id}` });

    // Encrypted at rest: the row holds neither token in the clear, and decrypts (with its id) to what the fake issued.
    const row = await storedRow(w, id);
    const tokens = JSON.parse(w.cipher.decrypt(row.credentials!, id)) as { accessToken: string; refreshToken: string };
    expect(tokens.accessToken).toBeTruthy();
    expect(tokens.refreshToken).toBeTruthy();
    expect(row.credentials).toMatch(/^v1\./);
    expect(row.credentials).not.toContain(tokens.accessToken);
    expect(row.credentials).not.toContain(tokens.refreshToken);
    expect(row.oauthStateNonce).toBeNull();

    const schedule = await scheduleOf(w, id);
    expect(schedule?.spec.intervals).toEqual([expect.objectContaining({ every: 300_000 })]);

    const synced = await api.synced(t.admin.auth, id);
    expect(synced.lastSyncCounts).toMatchObject({ created: (await importedTaskIds(w, id)).length });
    expect(synced.lastSyncCounts!.created).toBeGreaterThan(0);

    // The callback works once: the same landing again is refused, and changes nothing.
    expectError(await api.callback(landing), 400, 'invalid_state', /used already/);
    expect((await api.get(t.admin.auth, id)).status).toBe('connected');
  });

  test('a browser landing on the callback gets a page that hands over to the post-connection setup', async () => {
    const created = await api.create(t.admin.auth, { provider, displayName: `<b>${provider}</b>` });
    const res = await api.callback(await api.authorize(created.authorizeUrl!), { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('post-connection setup');
    expect(res.body).toContain(`"integrationId":"${created.integration.id}"`);
    // The name is the tenant's text: escaped, never markup.
    expect(res.body).toContain(`&lt;b&gt;${provider}&lt;/b&gt;`);
    expect(res.body).not.toContain(`<b>${provider}</b>`);
  });

  test('a refusal at the FSM (error=access_denied) leaves the integration needs_reconnect with the error shown: 400', async () => {
    const created = await api.create(t.admin.auth, { provider });
    const { state } = stateOf(created.authorizeUrl!);
    const res = await api.callback(callbackUrl({ state, error: 'access_denied', error_description: 'The user denied access' }));
    expectError(res, 400, 'authorization_refused', /access_denied/);
    const card = await api.get(t.admin.auth, created.integration.id);
    expect(card).toMatchObject({ status: 'needs_reconnect', lastError: expect.stringContaining('access_denied'), lastErrorAt: expect.any(String) });
    expect((await storedRow(w, created.integration.id)).credentials).toBeNull();
    expect(await scheduleOf(w, created.integration.id)).toBeNull();
  });
});

describe('the state binds the flow: anything else is a 400 and changes nothing', () => {
  let created: Awaited<ReturnType<typeof api.create>>;
  let landing: URL;

  beforeAll(async () => {
    created = await api.create(t.admin.auth, { provider: 'jobber' });
    landing = new URL(await api.authorize(created.authorizeUrl!), 'http://x');
  });

  const withState = (state: string) => {
    const url = new URL(landing);
    url.searchParams.set('state', state);
    return `${url.pathname}${url.search}`;
  };

  async function expectRefused(path: string, message: RegExp) {
    expectError(await api.callback(path), 400, 'invalid_state', message);
    expect(await storedRow(w, created.integration.id)).toMatchObject({ credentials: null, status: 'needs_reconnect' });
  }

  test('tampered: another integration id in the payload, the signature kept', async () => {
    const [v, payload, sig] = landing.searchParams.get('state')!.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...claims, i: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
    await expectRefused(withState(`${v}.${forged}.${sig}`), /signature/);
  });

  test('signed with another key', async () => {
    const { claims } = stateOf(created.authorizeUrl!);
    const other = createStateSigner(Buffer.alloc(32, 7).toString('base64'));
    await expectRefused(withState(other.sign({ tenantId: claims.t, integrationId: claims.i, nonce: claims.n })), /signature/);
  });

  test('expired: the same claims, signed with our key, past their 10 minutes', async () => {
    const { claims } = stateOf(created.authorizeUrl!);
    const signer = createStateSigner(w.h.config.credentialsKey);
    const stale = signer.sign({ tenantId: claims.t, integrationId: claims.i, nonce: claims.n }, new Date(Date.now() - 1000));
    await expectRefused(withState(stale), /expired/);
  });

  test('malformed, and missing', async () => {
    await expectRefused(withState('not-a-state'), /malformed/);
    const res = await api.callback('/v1/oauth/callback?code=abc');
    expectError(res, 400, 'validation_failed', /state/);
  });

  test('superseded: a newer authorize URL (a reconnect) makes the older state useless; the newer one connects', async () => {
    const res = await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${created.integration.id}/reconnect`, headers: t.admin.auth });
    expect(res.statusCode).toBe(200);
    await expectRefused(`${landing.pathname}${landing.search}`, /used already|replaced/);
    const fresh = await api.callback(await api.authorize(res.json<{ authorizeUrl: string }>().authorizeUrl));
    expect(fresh.statusCode).toBe(200);
  });
});

describe('Commusoft, by its login', () => {
  test('connects at once: the login is checked against Commusoft and stored encrypted; schedule and first sync as for the others', async () => {
    const login = api.commusoftLogin();
    const created = await api.create(t.admin.auth, { provider: 'commusoft', login, writebackEnabled: true });
    expect(created.authorizeUrl).toBeNull();
    expect(created.integration).toMatchObject({ provider: 'commusoft', displayName: 'Commusoft', status: expect.stringMatching(/^(connected|syncing)$/), writebackEnabled: true });
    const id = created.integration.id;
    const row = await storedRow(w, id);
    expect(row.syncDirection).toBe('both');
    expect(row.credentials).not.toContain(login.password);
    expect(JSON.parse(w.cipher.decrypt(row.credentials!, id))).toMatchObject({ login: { username: login.username, password: login.password } });
    expect(await scheduleOf(w, id)).not.toBeNull();
    await api.synced(t.admin.auth, id);
  });

  test('a login Commusoft refuses (any field of it wrong) is a 400 at connect time, and no integration is made', async () => {
    const before = (await w.h.app.inject({ method: 'GET', url: '/v1/integrations', headers: t.admin.auth })).json<{ items: unknown[] }>().items.length;
    for (const field of ['password', 'username', 'applicationId', 'clientId'] as const) {
      const res = await w.h.app.inject({
        method: 'POST',
        url: '/v1/integrations',
        headers: t.admin.auth,
        payload: { provider: 'commusoft', login: { ...api.commusoftLogin(), [field]: 'wrong' } },
      });
      expectError(res, 400, 'fsm_refused', /Commusoft did not accept the login/);
    }
    const after = (await w.h.app.inject({ method: 'GET', url: '/v1/integrations', headers: t.admin.auth })).json<{ items: unknown[] }>().items.length;
    expect(after).toBe(before);
  });
});

describe.each(PROVIDERS_UNDER_TEST)('%s: a revoked grant', (provider) => {
  test('shows needs_reconnect with the error and when; a reconnect clears it and the import resumes', async () => {
    const tenant = await createTenantFixture(w.h.sql, `Revoked ${provider}`);
    const { id } = await api.connect(tenant.admin.auth, provider);
    const first = await api.synced(tenant.admin.auth, id);

    w.fakes[provider].revokeAll();
    const res = await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: tenant.admin.auth });
    expect(res.statusCode).toBe(202);
    const broken = await eventually(async () => {
      const card = await api.get(tenant.admin.auth, id);
      return card.status === 'needs_reconnect' ? card : null;
    }, SETTLE_MS);
    // The stopped sync has ended (it is what marks the card): a reconnect starts a new one rather than joining it.
    await w.h.client.workflow.getHandle(syncWorkflowId(id)).result();
    expect(broken.lastError).toBeTruthy();
    expect(Date.parse(broken.lastErrorAt!)).toBeGreaterThan(Date.parse(first.lastSyncAt!));
    // Nothing can sync until then.
    expectError(await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: tenant.admin.auth }), 409, 'needs_reconnect');

    await api.reconnect(tenant.admin.auth, id, provider);
    const card = await api.get(tenant.admin.auth, id);
    expect(card).toMatchObject({ lastError: null, lastErrorAt: null });
    expect(card.status).not.toBe('needs_reconnect');
    // Resumed: a sync runs on the new credentials.
    await api.synced(tenant.admin.auth, id, broken.lastErrorAt);
  });
});

describe('the post-connection setup and settings', () => {
  test('PATCH writebackEnabled flips sync_direction; the schedule follows the interval; the name changes', async () => {
    const { id } = await api.connect(t.admin.auth, 'servicem8');
    const patch = (payload: Record<string, unknown>) => w.h.app.inject({ method: 'PATCH', url: `/v1/integrations/${id}`, headers: t.admin.auth, payload });

    let res = await patch({ writebackEnabled: true });
    expect(res.json()).toMatchObject({ id, writebackEnabled: true });
    expect((await storedRow(w, id)).syncDirection).toBe('both');
    res = await patch({ writebackEnabled: false });
    expect(res.json()).toMatchObject({ writebackEnabled: false });
    expect((await storedRow(w, id)).syncDirection).toBe('import');

    res = await patch({ syncIntervalSeconds: 900, displayName: 'ServiceM8 (north)' });
    expect(res.json()).toMatchObject({ syncIntervalSeconds: 900, displayName: 'ServiceM8 (north)' });
    expect((await scheduleOf(w, id))?.spec.intervals).toEqual([expect.objectContaining({ every: 900_000 })]);
    expect(await api.get(t.admin.auth, id)).toMatchObject({ syncIntervalSeconds: 900, displayName: 'ServiceM8 (north)', writebackEnabled: false });
  });

  test('GET lists the cards (no secret in them); GET one shows a running sync\'s progress, null once it is done', async () => {
    const tenant = await createTenantFixture(w.h.sql, 'Cards');
    const { id, created } = await api.connect(tenant.admin.auth, 'servicem8');
    await api.synced(tenant.admin.auth, id);

    const list = await w.h.app.inject({ method: 'GET', url: '/v1/integrations', headers: tenant.admin.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ items: [expect.objectContaining({ id, provider: 'servicem8', status: 'connected', lastError: null })] });
    expect(list.body).not.toContain(created.webhook.secret!);
    expect(list.body).not.toMatch(/accessToken|refreshToken|credentials/);

    // A slow FSM keeps the sync running long enough to be seen.
    const sm8 = w.fakes.servicem8;
    sm8.seedJobs(6);
    sm8.pageSize = 2;
    sm8.delayMs = 150;
    try {
      const started = await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: tenant.admin.auth });
      expect(started.json()).toEqual({ workflowId: `sync/${id}` });
      const running = await eventually(async () => (await api.get(tenant.admin.auth, id)).syncProgress, SETTLE_MS);
      expect(running).toMatchObject({ phase: expect.stringMatching(/^(listing|sweeping)$/), pages: expect.any(Number), jobsSeen: expect.any(Number), created: expect.any(Number) });
      // Sync now while one runs joins it.
      const again = await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: tenant.admin.auth });
      expect(again.json()).toEqual({ workflowId: `sync/${id}` });
    } finally {
      sm8.pageSize = 5000;
      sm8.delayMs = 0;
    }
    const done = await eventually(async () => {
      const card = await api.get(tenant.admin.auth, id);
      return card.syncProgress === null && card.status === 'connected' ? card : null;
    }, SETTLE_MS);
    expect(done.lastSyncCounts).toMatchObject({ jobsSeen: expect.any(Number) });
  });
});

describe('disconnecting', () => {
  test('DELETE stops the schedule and drops the credentials; the tasks stay, shown as from a disconnected integration', async () => {
    const tenant = await createTenantFixture(w.h.sql, 'Disconnect');
    const { id, created } = await api.connect(tenant.admin.auth, 'servicem8');
    const other = await api.connect(tenant.admin.auth, 'jobber');
    await pauseSchedule(w, id);
    await api.synced(tenant.admin.auth, id);
    await api.synced(tenant.admin.auth, other.id);
    const tasks = await importedTaskIds(w, id);
    expect(tasks.length).toBeGreaterThan(0);
    const lastRun = await latestSyncRun(w, id);

    const res = await w.h.app.inject({ method: 'DELETE', url: `/v1/integrations/${id}`, headers: tenant.admin.auth });
    expect(res.statusCode).toBe(204);
    expect(await scheduleOf(w, id)).toBeNull();
    expect(await storedRow(w, id)).toMatchObject({ status: 'disconnected', credentials: null, webhookSecret: null });
    expect(await api.get(tenant.admin.auth, id)).toMatchObject({ status: 'disconnected', disconnectedAt: expect.any(String) });
    const list = (await w.h.app.inject({ method: 'GET', url: '/v1/integrations', headers: tenant.admin.auth })).json<{ items: { id: string }[] }>();
    expect(list.items.map((i) => i.id)).toEqual([other.id]);

    // The tasks stay, with their source; and say their integration is gone.
    expect(await importedTaskIds(w, id)).toEqual(tasks);
    const task = (await w.h.app.inject({ method: 'GET', url: `/v1/tasks/${tasks[0]}`, headers: tenant.admin.auth })).json();
    expect(task.source).toEqual({ type: 'integration', provider: 'servicem8', integrationId: id, externalJobId: expect.any(String), disconnected: true });
    const [kept] = await importedTaskIds(w, other.id);
    const live = (await w.h.app.inject({ method: 'GET', url: `/v1/tasks/${kept}`, headers: tenant.admin.auth })).json();
    expect(live.source).toMatchObject({ provider: 'jobber', disconnected: false });
    const listed = (await w.h.app.inject({ method: 'GET', url: '/v1/tasks?limit=200', headers: tenant.admin.auth })).json<{ items: { id: string; source: { disconnected?: boolean } }[] }>();
    expect(listed.items.find((i) => i.id === tasks[0])?.source.disconnected).toBe(true);

    // Nothing reaches it any more: no sync, no webhook, no setup; deleting again changes nothing.
    expectError(await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: tenant.admin.auth }), 409, 'integration_disconnected');
    expectError(await w.h.app.inject({ method: 'PATCH', url: `/v1/integrations/${id}`, headers: tenant.admin.auth, payload: { writebackEnabled: true } }), 409, 'integration_disconnected');
    expectError(await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/reconnect`, headers: tenant.admin.auth }), 409, 'integration_disconnected');
    const webhook = w.fakes.servicem8.objectWebhook('job', ['x'], ['status']);
    expectError(await w.h.app.inject({ method: 'POST', url: new URL(created.webhook.url).pathname + new URL(created.webhook.url).search, headers: webhook.headers, payload: webhook.rawBody }), 404, 'not_found');
    expect(await latestSyncRun(w, id)).toBe(lastRun);
    expect((await w.h.app.inject({ method: 'DELETE', url: `/v1/integrations/${id}`, headers: tenant.admin.auth })).statusCode).toBe(204);
  });
});
