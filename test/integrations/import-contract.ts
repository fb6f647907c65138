/**
 * What importing from every FSM must do, run against that FSM's fake with a
 * real worker, PostgreSQL and Temporal: 2,000 jobs become 2,000 tasks and a
 * second sync creates none; changed, completed, reopened and deleted jobs
 * reach their tasks; an admin's edit survives; 429s slow a sync down without failing
 * it; a revoked grant stops it with the integration marked; a worker stopped
 * mid-import resumes from the saved cursor. Each FSM's file supplies an
 * ImportUnderTest.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { type Config, loadConfig } from '../../config';
import { type ConnectorRegistry, createConnectorRegistry } from '../../connectors/registry';
import { CredentialCipher } from '../../db/crypto';
import { createUser } from '../../db/repositories/accounts';
import { type Credentials, createIntegration, getIntegration, saveCredentials } from '../../db/repositories/integrations';
import { getSyncTarget, requestFullSync } from '../../db/repositories/sync-state';
import type { SyncResult } from '../../domain/integration-sync';
import type { Provider } from '../../domain/task';
import { startSyncNow } from '../../temporal/integration-schedules';
import type { integrationSyncWorkflow } from '../../workflows/integration-sync';
import type { FakeFsm } from '../fakes/fake-fsm';
import { type Harness, type TenantFixture, createTenantFixture, eventually, firstRow, startHarness } from '../helpers/harness';

export interface ImportUnderTest {
  provider: Provider;
  fake: FakeFsm & { violations: string[] };
  /** Environment for config.ts that points this FSM's URLs at the fake. */
  env: Record<string, string>;
  /** The integration's settings (Simpro: its build). */
  settings?: { build?: string };
  /** Credentials as connecting stores them: the OAuth2 redirect flow through the fake, or Commusoft's login. */
  connect(registry: ConnectorRegistry, integration: { id: string; provider: Provider; settings: { build?: string } }): Promise<{ credentials: Credentials; expiresAt: Date | null }>;
  /** The staff emails the seeded jobs are assigned to. */
  staffEmails: string[];
  /** Seeds n open jobs scheduled on SCHEDULED_DAY (ahead, so their tasks do not all turn overdue at once); returns their ids. */
  seedJobs(n: number): string[];
  /** The due date their tasks get: SCHEDULED_DAY at the time of day the fake books jobs. */
  dueAt: string;
  /** Changes the job as someone in the FSM would: its title becomes the text's first line (where the FSM has titles), its description the text. */
  changeJob(id: string, text: string): void;
  completeJob(id: string): void;
  /** The FSM reopens a job it had completed (to be done again). */
  reopenJob(id: string): void;
  deleteJob(id: string): void;
  /** Simpro and Jobber drop deleted jobs from their lists: only a full listing finds them. */
  deletionNeedsFullSync: boolean;
  /** How many listings the fake has been asked for from their first page. */
  firstPageRequests(): number;
}

/** The day seeded jobs are scheduled for. */
export const SCHEDULED_DAY = '2030-06-03';

export interface ImportFixture {
  tenant: TenantFixture;
  integrationId: string;
  sync(): Promise<SyncResult>;
  handle(): Promise<WorkflowHandle<typeof integrationSyncWorkflow>>;
}

/** Counts of the integration's tasks. */
async function taskCounts(h: Harness, integrationId: string) {
  return firstRow(h.sql<{ n: number; distinctJobs: number; withWorkflow: number; fromProvider: number }[]>`
    SELECT count(*)::int AS n, count(DISTINCT external_job_id)::int AS distinct_jobs,
           count(*) FILTER (WHERE workflow_started_at IS NOT NULL)::int AS with_workflow,
           count(*) FILTER (WHERE source = 'integration')::int AS from_provider
    FROM tasks WHERE integration_id = ${integrationId}`);
}

async function taskOf(h: Harness, integrationId: string, externalJobId: string) {
  return firstRow(h.sql<{ id: string }[]>`SELECT id FROM tasks WHERE integration_id = ${integrationId} AND external_job_id = ${externalJobId}`);
}

export function describeImportContract(setup: () => Promise<ImportUnderTest>): void {
  // Each import starts thousands of lifecycle workflows, which the suite's worker then runs.
  jest.setTimeout(600_000);
  let t: ImportUnderTest;
  let h: Harness;
  let config: Config;
  let registry: ConnectorRegistry;
  let cipher: CredentialCipher;
  let seeded: string[];

  beforeAll(async () => {
    t = await setup();
    config = loadConfig({ NODE_ENV: 'test', ...t.env });
    h = await startHarness({ fsm: config.fsm });
    registry = createConnectorRegistry(config.fsm);
    cipher = new CredentialCipher(h.config.credentialsKey);
    seeded = t.seedJobs(2000);
  });
  afterAll(async () => {
    await h?.stop();
  });
  afterEach(() => {
    t.fake.clearFaults();
    expect(t.fake.violations).toEqual([]);
  });

  /** A tenant whose users include the FSM's staff, with the integration connected. */
  async function connected(): Promise<ImportFixture> {
    const tenant = await createTenantFixture(h.sql, `Import ${t.provider}`);
    for (const email of t.staffEmails) await createUser(h.sql, tenant.tenantId, { email: email.toUpperCase(), name: email.split('@')[0]!, role: 'engineer' });
    const integration = await createIntegration(h.sql, tenant.tenantId, {
      provider: t.provider,
      displayName: t.provider,
      syncDirection: 'import',
      settings: t.settings ?? {},
    });
    const { credentials, expiresAt } = await t.connect(registry, integration);
    await saveCredentials(h.sql, cipher, tenant.tenantId, integration.id, credentials, expiresAt);
    const input = { tenantId: tenant.tenantId, integrationId: integration.id };
    const handle = () => startSyncNow(h.client, h.taskQueue, input);
    return { tenant, integrationId: integration.id, handle, sync: async () => (await handle()).result() };
  }

  async function getTask(f: ImportFixture, externalJobId: string) {
    const { id } = await taskOf(h, f.integrationId, externalJobId);
    const res = await h.app.inject({ method: 'GET', url: `/v1/tasks/${id}`, headers: f.tenant.admin.auth });
    expect(res.statusCode).toBe(200);
    return res.json<{ id: string; title: string; description: string; status: string; dueAt: string | null; sessionBadge: string; assignees: { email: string }[]; customerId: string | null; source: Record<string, unknown> }>();
  }

  test('a worker stopped mid-import resumes from the saved cursor and ends with exactly 2,000 tasks', async () => {
    const f = await connected();
    const firstPages = t.firstPageRequests();
    t.fake.delayMs = 100;
    const handle = await f.handle();
    await eventually(async () => ((await getSyncTarget(h.sql, f.tenant.tenantId, f.integrationId))?.cursor.listing?.counts.pages ?? 0) >= 1, 60_000);
    await h.stopWorker();
    const stopped = await getSyncTarget(h.sql, f.tenant.tenantId, f.integrationId);
    const partial = await taskCounts(h, f.integrationId);
    expect(stopped!.cursor.listing!.counts.pages).toBeGreaterThanOrEqual(1);
    expect(stopped!.cursor.pageToken).not.toBeNull();
    expect(partial.n).toBeGreaterThan(0);
    expect(partial.n).toBeLessThan(2000);
    expect(partial.n).toBe(stopped!.cursor.listing!.counts.created);

    t.fake.delayMs = 0;
    await h.startWorker();
    const result = await handle.result();
    expect(result.outcome).toBe('completed');
    // One listing from the first page: the restarted worker went on from the saved cursor.
    expect(t.firstPageRequests()).toBe(firstPages + 1);
    expect(await taskCounts(h, f.integrationId)).toEqual({ n: 2000, distinctJobs: 2000, withWorkflow: 2000, fromProvider: 2000 });
  });

  describe('one integration through its life', () => {
    let f: ImportFixture;
    beforeAll(async () => {
      f = await connected();
    });

    test('2,000 jobs import as 2,000 tasks with their provider, customer and assignee; a second sync creates none', async () => {
      const first = await f.sync();
      expect(first).toMatchObject({ outcome: 'completed', progress: { created: 2000, jobsSeen: 2000, phase: 'done', full: true } });
      expect(await taskCounts(h, f.integrationId)).toEqual({ n: 2000, distinctJobs: 2000, withWorkflow: 2000, fromProvider: 2000 });

      const task = await getTask(f, seeded[7]!);
      expect(task.source).toMatchObject({ type: 'integration', provider: t.provider, integrationId: f.integrationId, externalJobId: seeded[7] });
      expect(task.status).toBe('open');
      expect(task.dueAt).toBe(t.dueAt);
      expect(task.assignees).toHaveLength(1);
      expect(t.staffEmails).toContain(task.assignees[0]!.email.toLowerCase());
      expect(task.customerId).not.toBeNull();
      const customer = await firstRow(h.sql<{ integrationId: string; externalId: string }[]>`SELECT integration_id, external_id FROM customers WHERE id = ${task.customerId}`);
      expect(customer.integrationId).toBe(f.integrationId);

      const integration = await getIntegration(h.sql, f.tenant.tenantId, f.integrationId);
      expect(integration).toMatchObject({ status: 'connected', lastError: null, lastSyncStats: expect.objectContaining({ created: 2000 }) });
      expect(integration!.lastSyncAt).toBeInstanceOf(Date);

      const second = await f.sync();
      expect(second).toMatchObject({ outcome: 'completed', progress: { created: 0, updated: 0, full: false } });
      expect((await taskCounts(h, f.integrationId)).n).toBe(2000);
    });

    test('a job changed in the FSM shows up changed after the next sync', async () => {
      t.changeJob(seeded[10]!, 'Replace the compressor\nThe old one rattles');
      const result = await f.sync();
      expect(result.progress).toMatchObject({ created: 0, updated: 1 });
      const task = await getTask(f, seeded[10]!);
      expect(task.title).toBe('Replace the compressor');
      expect(task.description).toContain('The old one rattles');
    });

    test('a job the FSM completed: the task shows Integration ✓', async () => {
      t.completeJob(seeded[11]!);
      expect((await f.sync()).progress).toMatchObject({ completed: 1 });
      const task = await eventually(async () => {
        const current = await getTask(f, seeded[11]!);
        return current.status === 'completed' && current;
      });
      expect(task.sessionBadge).toBe('integration');
    });

    test('a job the FSM reopened reopens the task its completion closed; a task a person completed stays completed', async () => {
      const [byFsm, byPerson] = [seeded[18]!, seeded[19]!];
      const { id: personTask } = await taskOf(h, f.integrationId, byPerson);
      const manual = await h.app.inject({ method: 'POST', url: `/v1/tasks/${personTask}/complete`, headers: f.tenant.admin.auth });
      expect(manual.statusCode).toBe(200);
      t.completeJob(byFsm);
      t.completeJob(byPerson);
      expect((await f.sync()).progress).toMatchObject({ completed: 1 });
      await eventually(async () => (await getTask(f, byFsm)).status === 'completed');

      t.reopenJob(byFsm);
      t.reopenJob(byPerson);
      expect((await f.sync()).progress).toMatchObject({ reopened: 1 });
      // Reopened through the task's workflow, as the integration, before the sync ended.
      expect(await getTask(f, byFsm)).toMatchObject({ status: 'open', sessionBadge: 'none' });
      const event = await firstRow(h.sql<{ actorKind: string; actorId: string }[]>`
        SELECT actor_kind, actor_id FROM task_events WHERE task_id = ${(await taskOf(h, f.integrationId, byFsm)).id} AND type = 'task.reopened'`);
      expect(event).toEqual({ actorKind: 'integration', actorId: f.integrationId });
      expect(await getTask(f, byPerson)).toMatchObject({ status: 'completed', sessionBadge: 'manual' });
    });

    test('a job deleted in the FSM: its task is cancelled', async () => {
      t.deleteJob(seeded[12]!);
      if (t.deletionNeedsFullSync) await requestFullSync(h.sql, f.tenant.tenantId, f.integrationId);
      expect((await f.sync()).progress).toMatchObject({ cancelled: 1, full: t.deletionNeedsFullSync });
      // Cancelled through the task's workflow, as the integration.
      expect((await getTask(f, seeded[12]!)).status).toBe('cancelled');
      const event = await firstRow(h.sql<{ actorKind: string; actorId: string }[]>`
        SELECT actor_kind, actor_id FROM task_events WHERE task_id = ${(await taskOf(h, f.integrationId, seeded[12]!)).id} AND type = 'task.cancelled'`);
      expect(event).toEqual({ actorKind: 'integration', actorId: f.integrationId });
    });

    test("an admin's edit to a title survives the next sync, while the FSM's other changes arrive", async () => {
      const { id } = await taskOf(h, f.integrationId, seeded[13]!);
      const res = await h.app.inject({ method: 'PATCH', url: `/v1/tasks/${id}`, headers: f.tenant.admin.auth, payload: { title: 'Edited by the admin' } });
      expect(res.statusCode).toBe(200);
      t.changeJob(seeded[13]!, `Retitled in the FSM ${randomUUID()}\nNew scope of work`);
      await f.sync();
      const task = await getTask(f, seeded[13]!);
      expect(task.title).toBe('Edited by the admin');
      expect(task.description).toContain('New scope of work');
    });

    test('an expired access token is renewed (refreshed, or logged in again) and the sync goes on', async () => {
      const before = await firstRow(h.sql<{ credentials: string }[]>`SELECT credentials FROM integrations WHERE id = ${f.integrationId}`);
      t.fake.expireAccessTokens();
      t.changeJob(seeded[17]!, 'After the renewal');
      expect((await f.sync()).progress).toMatchObject({ updated: 1 });
      const after = await firstRow(h.sql<{ credentials: string }[]>`SELECT credentials FROM integrations WHERE id = ${f.integrationId}`);
      const [old, renewed] = [before, after].map((row) => JSON.parse(cipher.decrypt(row.credentials, f.integrationId)) as Credentials);
      expect(renewed!.accessToken).not.toBe(old!.accessToken);
      // Everything else is kept: Commusoft's stored login, for the next time.
      expect({ ...renewed, accessToken: '', refreshToken: '' }).toEqual({ ...old, accessToken: '', refreshToken: '' });
      expect(await getIntegration(h.sql, f.tenant.tenantId, f.integrationId)).toMatchObject({ status: 'connected', lastError: null });
    });

    test('429s slow the sync down, and it completes', async () => {
      t.changeJob(seeded[14]!, 'After the rate limit');
      t.fake.rateLimitNext(3, 1);
      const handle = await f.handle();
      const result = await handle.result();
      expect(result.progress).toMatchObject({ updated: 1 });
      expect((await getTask(f, seeded[14]!)).description).toContain('After the rate limit');
      // The retries are in the history: the page succeeded on a later attempt.
      const { events } = await handle.fetchHistory();
      const attempts = (events ?? []).map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0);
      expect(Math.max(...attempts)).toBeGreaterThan(1);
      expect(await getIntegration(h.sql, f.tenant.tenantId, f.integrationId)).toMatchObject({ status: 'connected', lastError: null });
    });

    test('a failure retrying cannot fix: the integration shows the error, and the next sync clears it', async () => {
      t.changeJob(seeded[16]!, 'After the error');
      t.fake.failNext(1, 400, { message: 'Request refused for the test' });
      await expect(f.sync()).rejects.toThrow();
      const failed = await getIntegration(h.sql, f.tenant.tenantId, f.integrationId);
      expect(failed).toMatchObject({ status: 'error', lastError: expect.stringContaining('400') });
      expect(failed!.lastErrorAt).toBeInstanceOf(Date);
      expect((await f.sync()).progress).toMatchObject({ updated: 1 });
      expect((await getTask(f, seeded[16]!)).description).toContain('After the error');
      expect(await getIntegration(h.sql, f.tenant.tenantId, f.integrationId)).toMatchObject({ status: 'connected', lastError: null, lastErrorAt: null });
    });

    test('a revoked grant: the integration needs a reconnect, shows the error, and the sync ends', async () => {
      t.fake.revokeAll();
      t.changeJob(seeded[15]!, 'Never imported');
      const result = await f.sync();
      expect(result.outcome).toBe('needs_reconnect');
      const integration = await getIntegration(h.sql, f.tenant.tenantId, f.integrationId);
      expect(integration).toMatchObject({ status: 'needs_reconnect', lastError: expect.any(String) });
      expect(integration!.lastError).not.toBe('');
      expect(integration!.lastErrorAt).toBeInstanceOf(Date);
      // Until a reconnect, syncs end at once without calling the FSM.
      const before = t.fake.requests.length;
      expect(await f.sync()).toMatchObject({ outcome: 'skipped' });
      expect(t.fake.requests.length).toBe(before);
    });
  });
}
