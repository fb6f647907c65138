/**
 * Webhooks from each fake FSM, in its own shape and signature scheme, into
 * POST /v1/webhooks/:provider/:integrationId with a real worker and Temporal:
 * a bad signature changes nothing; a good one starts the sync that imports
 * the job; the same delivery twice has one effect; ServiceM8's challenge is
 * echoed. Jobber's one URL per app (POST /v1/webhooks/jobber) routes each
 * delivery by its account; its APP_DISCONNECT marks the integration, unless
 * a reconnect came after it.
 */
import { randomUUID } from 'node:crypto';
import { syncWorkflowId } from '../../domain/ids';
import type { Provider } from '../../domain/task';
import { expectError } from '../helpers/api-checks';
import { type TenantFixture, createTenantFixture, firstRow } from '../helpers/harness';
import { type Created, type Dashboard, PROVIDERS_UNDER_TEST, type World, latestSyncRun, pauseSchedule, storedRow, useWorld } from './fixture';

let w: World;
let api: Dashboard;
useWorld((world, dashboard) => {
  w = world;
  api = dashboard;
});

interface Delivery {
  url: string;
  headers: Record<string, string>;
  payload: Buffer;
}

/** The path (and query) of the webhook URL the integration was created with. */
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

/** The integration's own webhook path (Jobber's app-wide URL is tested on its own below). */
const ownPath = (created: Created) => (created.integration.provider === 'jobber' ? `/v1/webhooks/jobber/${created.integration.id}` : pathOf(created.webhook.url));

/** A delivery naming `jobId`, as the FSM sends it: signed with the right secret, or with `forgedSecret`. */
function delivery(provider: Provider, created: Created, jobId: string, forgedSecret?: string): Delivery {
  const url = ownPath(created);
  const secret = forgedSecret ?? created.webhook.secret!;
  switch (provider) {
    case 'servicem8': {
      const d = w.fakes.servicem8.objectWebhook('job', [jobId], ['status']);
      // ServiceM8's secret is the callback URL's.
      const target = forgedSecret === undefined ? url : url.replace(/secret=[^&]*/, `secret=${encodeURIComponent(forgedSecret)}`);
      return { url: target, headers: d.headers, payload: d.rawBody };
    }
    case 'simpro': {
      const d = w.fakes.simpro.webhook('job.updated', Number(jobId), secret);
      return { url, headers: d.headers, payload: d.rawBody };
    }
    case 'jobber': {
      const d = w.fakes.jobber.webhook('JOB_UPDATE', jobId, forgedSecret);
      return { url, headers: d.headers, payload: d.rawBody };
    }
    case 'commusoft': {
      const d = w.fakes.commusoft.webhook(jobId, secret);
      return { url, headers: d.headers, payload: d.rawBody };
    }
  }
}

const send = (d: Delivery) => w.h.app.inject({ method: 'POST', url: d.url, headers: d.headers, payload: d.payload });

const deliveriesOf = async (id: string) =>
  (await firstRow(w.h.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE integration_id = ${id}`)).n;

const seedJob = (provider: Provider): string => String(w.fakes[provider].seedJobs(1)[0]);

describe.each(PROVIDERS_UNDER_TEST)('%s', (provider) => {
  let t: TenantFixture;
  let created: Created;
  let id: string;
  let firstRun: string | null;

  beforeAll(async () => {
    t = await createTenantFixture(w.h.sql, `Webhooks ${provider}`);
    ({ created, id } = await api.connect(t.admin.auth, provider));
    await pauseSchedule(w, id);
    await api.synced(t.admin.auth, id);
    firstRun = await latestSyncRun(w, id);
  });

  test('a bad signature gets 401 and nothing happens', async () => {
    const jobId = seedJob(provider);
    const forged = delivery(provider, created, jobId, 'not-the-secret');
    expectError(await send(forged), 401, 'unauthorized', /signature/);
    // Unsigned: no signature header (ServiceM8: no secret in the URL).
    const unsigned = delivery(provider, created, jobId);
    const headers = { 'content-type': 'application/json' };
    expectError(await send({ ...unsigned, url: unsigned.url.split('?')[0]!, headers }), 401, 'unauthorized');
    expect(await latestSyncRun(w, id)).toBe(firstRun);
    expect(await deliveriesOf(id)).toBe(0);
  });

  test('a good delivery is answered at once and starts the sync that imports the job; the same delivery again has no further effect', async () => {
    const jobId = seedJob(provider);
    const d = delivery(provider, created, jobId);
    const res = await send(d);
    expect({ status: res.statusCode, body: res.json() }).toEqual({ status: 200, body: { received: true, action: 'sync_started', workflowId: `sync/${id}` } });
    // The run it started (not the first sync's) imports the job.
    const run = await latestSyncRun(w, id);
    expect(run).not.toBe(firstRun);
    await w.h.client.workflow.getHandle(syncWorkflowId(id)).result();
    const [task] = await w.h.sql`SELECT id FROM tasks WHERE integration_id = ${id} AND external_job_id = ${jobId}`;
    expect(task).toBeDefined();

    const again = await send(d);
    expect({ status: again.statusCode, body: again.json() }).toEqual({ status: 200, body: { received: true, action: 'duplicate' } });
    expect(await latestSyncRun(w, id)).toBe(run);
    expect(await deliveriesOf(id)).toBe(1);
  });

  test('an unknown integration, or another provider\'s URL for this one, is 404; a malformed one 400', async () => {
    const d = delivery(provider, created, seedJob(provider));
    expectError(await send({ ...d, url: d.url.replace(id, '00000000-0000-4000-8000-000000000000') }), 404, 'not_found');
    const other = provider === 'jobber' ? 'simpro' : 'jobber';
    expectError(await send({ ...d, url: d.url.replace(`/${provider}/`, `/${other}/`) }), 404, 'not_found');
    expectError(await send({ ...d, url: d.url.replace(id, 'not-a-uuid') }), 400, 'validation_failed');
    expectError(await send({ ...d, url: d.url.replace(`/${provider}/`, '/fieldpulse/') }), 400, 'validation_failed');
  });
});

describe('ServiceM8', () => {
  test("its subscribe challenge is answered with the bare challenge value, only on the integration's secret", async () => {
    const t = await createTenantFixture(w.h.sql, 'Challenge');
    const { created } = await api.connect(t.admin.auth, 'servicem8');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const res = await w.h.app.inject({ method: 'POST', url: pathOf(created.webhook.url), headers: form, payload: 'mode=subscribe&challenge=c4f3-ch4ll3ng3' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('c4f3-ch4ll3ng3');
    const wrong = pathOf(created.webhook.url).replace(/secret=[^&]*/, 'secret=guess');
    expectError(await w.h.app.inject({ method: 'POST', url: wrong, headers: form, payload: 'mode=subscribe&challenge=x' }), 401, 'unauthorized');
  });
});

describe('Jobber', () => {
  test('APP_DISCONNECT marks the integration needs_reconnect; job events then wait for the reconnect', async () => {
    const t = await createTenantFixture(w.h.sql, 'App disconnect');
    const { created, id } = await api.connect(t.admin.auth, 'jobber');
    await pauseSchedule(w, id);
    await api.synced(t.admin.auth, id);
    const run = await latestSyncRun(w, id);

    const d = w.fakes.jobber.webhook('APP_DISCONNECT', 'account-1');
    const res = await w.h.app.inject({ method: 'POST', url: ownPath(created), headers: d.headers, payload: d.rawBody });
    expect(res.json()).toEqual({ received: true, action: 'needs_reconnect' });
    expect(await api.get(t.admin.auth, id)).toMatchObject({ status: 'needs_reconnect', lastError: expect.stringContaining('APP_DISCONNECT'), lastErrorAt: expect.any(String) });

    const job = delivery('jobber', created, seedJob('jobber'));
    expect((await send(job)).json()).toEqual({ received: true, action: 'needs_reconnect' });
    expect(await latestSyncRun(w, id)).toBe(run);

    // Events it does not act on are acknowledged and ignored.
    await api.reconnect(t.admin.auth, id, 'jobber');
    const client = w.fakes.jobber.webhook('CLIENT_UPDATE', 'client-1');
    expect((await w.h.app.inject({ method: 'POST', url: ownPath(created), headers: client.headers, payload: client.rawBody })).json()).toEqual({
      received: true,
      action: 'ignored',
    });
  });
});

describe('Jobber: one webhook URL for every account', () => {
  const APP_URL = '/v1/webhooks/jobber';
  const jobber = () => w.fakes.jobber;
  const newAccount = () => Buffer.from(`gid://Jobber/Account/${randomUUID()}`).toString('base64');
  const toApp = (d: { headers: Record<string, string>; rawBody: Buffer }) => send({ url: APP_URL, headers: d.headers, payload: d.rawBody });
  const accountOf = async (id: string) =>
    (await firstRow(w.h.sql<{ externalAccountId: string | null }[]>`SELECT external_account_id FROM integrations WHERE id = ${id}`)).externalAccountId;

  /** A tenant connecting its own Jobber account to the app; its first sync has ended and its schedule is paused. */
  async function connectAccount(name: string) {
    const t = await createTenantFixture(w.h.sql, name);
    const account = newAccount();
    const fake = jobber();
    const before = fake.accountId;
    fake.accountId = account;
    try {
      const { created, id } = await api.connect(t.admin.auth, 'jobber');
      await pauseSchedule(w, id);
      await api.synced(t.admin.auth, id);
      await w.h.client.workflow.getHandle(syncWorkflowId(id)).result();
      return { t, created, id, account };
    } finally {
      fake.accountId = before;
    }
  }

  test('a delivery goes to the integration connected to its accountId, and to no other', async () => {
    const a = await connectAccount('Jobber account A');
    const b = await connectAccount('Jobber account B');
    // The URL to set in the app's Developer Center is the same for every tenant; the account is recorded when connecting (`account { id }`).
    expect(a.created.webhook).toEqual({ url: `${w.h.config.publicUrl}${APP_URL}`, secret: null });
    expect(await accountOf(a.id)).toBe(a.account);
    expect(await accountOf(b.id)).toBe(b.account);
    const [runA, runB] = [await latestSyncRun(w, a.id), await latestSyncRun(w, b.id)];

    const jobId = seedJob('jobber');
    const d = jobber().webhook('JOB_UPDATE', jobId, undefined, b.account);
    const res = await toApp(d);
    expect({ status: res.statusCode, body: res.json() }).toEqual({
      status: 200,
      body: { received: true, integrations: [{ integrationId: b.id, action: 'sync_started', workflowId: `sync/${b.id}` }] },
    });
    await w.h.client.workflow.getHandle(syncWorkflowId(b.id)).result();
    expect(await w.h.sql`SELECT id FROM tasks WHERE integration_id = ${b.id} AND external_job_id = ${jobId}`).toHaveLength(1);
    expect(await latestSyncRun(w, a.id)).toBe(runA);
    expect(await latestSyncRun(w, b.id)).not.toBe(runB);
    // The same delivery again: one effect.
    expect((await toApp(d)).json()).toEqual({ received: true, integrations: [{ integrationId: b.id, action: 'duplicate' }] });

    // An account no integration holds is acknowledged, so Jobber keeps the app's webhooks on; nothing happens.
    expect((await toApp(jobber().webhook('JOB_UPDATE', jobId, undefined, newAccount()))).json()).toEqual({ received: true, integrations: [] });
    // A bad signature: 401, nothing happens.
    expectError(await toApp(jobber().webhook('JOB_UPDATE', jobId, 'not-the-secret', a.account)), 401, 'unauthorized', /signature/);
    expectError(await send({ url: APP_URL, headers: { 'content-type': 'application/json' }, payload: d.rawBody }), 401, 'unauthorized');
    // A's own URL does not take B's events: the app's signature fits every account.
    const other = jobber().webhook('JOB_UPDATE', seedJob('jobber'), undefined, b.account);
    expect((await send({ url: ownPath(a.created), headers: other.headers, payload: other.rawBody })).json()).toEqual({ received: true, action: 'ignored' });
    expect(await latestSyncRun(w, a.id)).toBe(runA);

    // APP_DISCONNECT names A: A waits for a reconnect, with the reason shown; B is untouched.
    expect((await toApp(jobber().webhook('APP_DISCONNECT', a.account, undefined, a.account))).json()).toEqual({
      received: true,
      integrations: [{ integrationId: a.id, action: 'needs_reconnect' }],
    });
    expect(await api.get(a.t.admin.auth, a.id)).toMatchObject({ status: 'needs_reconnect', lastError: expect.stringContaining('APP_DISCONNECT') });
    expect(await api.get(b.t.admin.auth, b.id)).toMatchObject({ status: 'connected', lastError: null });
  });

  test('an APP_DISCONNECT that happened before the last reconnect changes nothing; a later one disconnects', async () => {
    const c = await connectAccount('Jobber late disconnect');
    const beforeReconnect = new Date().toISOString();
    const fake = jobber();
    const before = fake.accountId;
    fake.accountId = c.account;
    try {
      await api.reconnect(c.t.admin.auth, c.id, 'jobber');
    } finally {
      fake.accountId = before;
    }
    // Jobber redelivers: this one is about the connection the reconnect replaced.
    const late = await toApp(fake.webhook('APP_DISCONNECT', c.account, undefined, c.account, beforeReconnect));
    expect(late.json()).toEqual({ received: true, integrations: [{ integrationId: c.id, action: 'ignored' }] });
    expect(await api.get(c.t.admin.auth, c.id)).toMatchObject({ status: 'connected', lastError: null });

    await toApp(fake.webhook('APP_DISCONNECT', c.account, undefined, c.account));
    expect((await storedRow(w, c.id)).status).toBe('needs_reconnect');
  });

  test('an integration connected before accounts were recorded learns its account at its next sync', async () => {
    const d = await connectAccount('Jobber account backfill');
    await w.h.sql`UPDATE integrations SET external_account_id = NULL WHERE id = ${d.id}`;
    const res = await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${d.id}/sync`, headers: d.t.admin.auth });
    expect(res.statusCode).toBe(202);
    await w.h.client.workflow.getHandle(syncWorkflowId(d.id)).result();
    expect(await accountOf(d.id)).toBe(d.account);
  });
});
