/**
 * Connecting when things go wrong around it, against the fake FSMs with a
 * real worker, PostgreSQL and Temporal: a reconnect that lands while a sync
 * is failing on the old credentials wins (the status is the new
 * connection's, and the sync runs again on it); an OAuth callback that
 * cannot reach Temporal still connects the integration, and the schedule and
 * first sync follow from the reconciler, or from "sync now".
 */
import { Client, Connection } from '@temporalio/client';
import { type App, buildApp } from '../../api/app';
import { syncWorkflowId } from '../../domain/ids';
import { SCHEDULE_OWED_GRACE_SECONDS } from '../../temporal/integration-schedules';
import { reconcileIntegrationSchedulesWorkflow } from '../../workflows/reconcile-integration-schedules';
import { type TenantFixture, createTenantFixture, firstRow } from '../helpers/harness';
import { type Dashboard, type World, importedTaskIds, pauseSchedule, scheduleOf, storedRow, useWorld } from './fixture';

let w: World;
let api: Dashboard;
useWorld((world, dashboard) => {
  w = world;
  api = dashboard;
});

const scheduleOwedSince = async (id: string) =>
  (await firstRow(w.h.sql<{ scheduleOwedSince: Date | null }[]>`SELECT schedule_owed_since FROM integrations WHERE id = ${id}`)).scheduleOwedSince;

/** One run of the reconciler, as its schedule starts it (with its grace period). */
const reconcile = (name: string) =>
  w.h.client.workflow.execute(reconcileIntegrationSchedulesWorkflow, {
    workflowId: `reconcile-integration-schedules-${name}`,
    taskQueue: w.h.taskQueue,
    args: [{ graceSeconds: SCHEDULE_OWED_GRACE_SECONDS }],
  });

describe('a reconnect while a sync fails on the old credentials', () => {
  test('the reconnect wins: connected, no error shown, and the sync runs again on the new credentials', async () => {
    const t = await createTenantFixture(w.h.sql, 'Reconnect race');
    const { id } = await api.connect(t.admin.auth, 'servicem8');
    await pauseSchedule(w, id);
    const first = await api.synced(t.admin.auth, id);
    // The first sync has ended (not only marked the card): "sync now" starts a new one rather than joining it.
    await w.h.client.workflow.getHandle(syncWorkflowId(id)).result();
    const sm8 = w.fakes.servicem8;

    // The next listing request stays in flight, then ServiceM8 refuses the old token (403: the grant is gone).
    const held = sm8.holdNext();
    sm8.failNext(1, 403, { errorCode: 403, message: 'Access denied for the test' });
    expect((await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: t.admin.auth })).statusCode).toBe(202);
    await held.arrived;
    // New credentials meanwhile: the reconnect's start of sync/<id> joins the run about to fail.
    await api.reconnect(t.admin.auth, id, 'servicem8');
    held.release();

    const result = await w.h.client.workflow.getHandle(syncWorkflowId(id)).result();
    expect(result).toMatchObject({ outcome: 'completed', progress: { phase: 'done' } });
    const card = await api.get(t.admin.auth, id);
    expect(card).toMatchObject({ status: 'connected', lastError: null, lastErrorAt: null });
    expect(Date.parse(card.lastSyncAt!)).toBeGreaterThan(Date.parse(first.lastSyncAt!));
  });
});

describe('the OAuth callback while Temporal cannot be reached', () => {
  let down: App;
  let unreachable: Connection;

  beforeAll(async () => {
    // The same API on the same database, with a Temporal client whose server is not there.
    unreachable = Connection.lazy({ address: '127.0.0.1:1' });
    const client = new Client({ connection: unreachable, namespace: w.h.config.temporal.namespace });
    down = await buildApp({ config: w.h.config, sql: w.h.sql, blobs: w.h.blobs, temporal: { ...w.h.temporal, client } });
  });
  afterAll(async () => {
    await down?.close();
    await unreachable?.close();
  });

  /** Creates an integration and lands its callback on the API that cannot reach Temporal. */
  async function connectWhileDown(t: TenantFixture) {
    const created = await api.create(t.admin.auth, { provider: 'jobber' });
    const landing = await api.authorize(created.authorizeUrl!);
    return { id: created.integration.id, res: await down.inject({ method: 'GET', url: landing }) };
  }

  test('connects anyway (credentials stored, a proper answer); the reconciler then makes the schedule and runs the first sync', async () => {
    const t = await createTenantFixture(w.h.sql, 'Temporal down');
    const { id, res } = await connectWhileDown(t);
    expect({ status: res.statusCode, body: res.json() }).toMatchObject({
      status: 200,
      body: { integration: { id, status: 'connected' }, next: { step: 'post_connection_setup', message: expect.stringContaining('first sync starts shortly') } },
    });
    expect((await storedRow(w, id)).credentials).not.toBeNull();
    expect(await scheduleOf(w, id)).toBeNull();
    expect(await scheduleOwedSince(id)).toBeInstanceOf(Date);

    // Temporal is back, and the schedule has been owed past the grace period: the reconciler takes it.
    await w.h.sql`UPDATE integrations SET schedule_owed_since = now() - make_interval(secs => ${2 * SCHEDULE_OWED_GRACE_SECONDS}) WHERE id = ${id}`;
    expect((await reconcile(id)).settled).toBeGreaterThanOrEqual(1);
    expect((await scheduleOf(w, id))?.spec.intervals).toEqual([expect.objectContaining({ every: 300_000 })]);
    expect(await scheduleOwedSince(id)).toBeNull();
    const synced = await api.synced(t.admin.auth, id);
    expect(synced.lastSyncCounts!.created).toBe((await importedTaskIds(w, id)).length);
    expect(synced.lastSyncCounts!.created).toBeGreaterThan(0);
  });

  test('"sync now" makes the schedule still owed, then syncs', async () => {
    const t = await createTenantFixture(w.h.sql, 'Temporal down, sync now');
    const { id, res } = await connectWhileDown(t);
    expect(res.statusCode).toBe(200);
    expect(await scheduleOf(w, id)).toBeNull();

    const now = await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: t.admin.auth });
    expect({ status: now.statusCode, body: now.json() }).toEqual({ status: 202, body: { workflowId: syncWorkflowId(id) } });
    expect(await scheduleOf(w, id)).not.toBeNull();
    expect(await scheduleOwedSince(id)).toBeNull();
    await api.synced(t.admin.auth, id);
  });

  test('a call that needs Temporal answers 503 temporal_unavailable with Retry-After, and the integration stays as it was', async () => {
    const t = await createTenantFixture(w.h.sql, 'Temporal down, disconnect');
    const { id } = await api.connect(t.admin.auth, 'jobber');
    await api.synced(t.admin.auth, id);
    for (const [method, url] of [
      ['DELETE', `/v1/integrations/${id}`],
      ['POST', `/v1/integrations/${id}/sync`],
    ] as const) {
      const res = await down.inject({ method, url, headers: t.admin.auth });
      expect({ status: res.statusCode, error: res.json<{ error: string }>().error, retryAfter: res.headers['retry-after'] }).toEqual({
        status: 503,
        error: 'temporal_unavailable',
        retryAfter: '5',
      });
    }
    // The disconnect removes the schedule before it touches the row: nothing was half done.
    expect((await storedRow(w, id)).status).toBe('connected');
    expect(await scheduleOf(w, id)).not.toBeNull();
    // With Temporal there, the same request goes through.
    expect((await w.h.app.inject({ method: 'DELETE', url: `/v1/integrations/${id}`, headers: t.admin.auth })).statusCode).toBe(204);
  });

  test('the reconciler leaves a schedule alone within its grace period (the API is still settling it)', async () => {
    const t = await createTenantFixture(w.h.sql, 'Temporal down, grace');
    const { id } = await connectWhileDown(t);
    await reconcile(`grace-${id}`);
    expect(await scheduleOf(w, id)).toBeNull();
    expect(await scheduleOwedSince(id)).toBeInstanceOf(Date);
    // Left owed: this test's integration is settled here rather than by another suite's reconciler.
    await w.h.app.inject({ method: 'POST', url: `/v1/integrations/${id}/sync`, headers: t.admin.auth });
  });
});
