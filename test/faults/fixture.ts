/**
 * The world of the fault suites and of bench/writeback.ts: a fake ServiceM8,
 * a tenant whose integration with it has writeback on, tasks that came from
 * its jobs (rows as an import leaves them, lifecycle workflows started), and
 * sessions on them completed through the Sessions API.
 */
import { loadConfig } from '../../config';
import { CredentialCipher } from '../../db/crypto';
import { createIntegration, saveCredentials } from '../../db/repositories/integrations';
import { insertTasks } from '../../db/repositories/tasks';
import type { Sql } from '../../db/sql';
import { type TaskWorkflowDeps, ensureTaskWorkflows } from '../../temporal/task-workflows';
import type { FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, type TenantFixture, createTenantFixture } from '../helpers/harness';
import { sessionApi } from '../helpers/session-api';
import { servicem8Env } from '../integrations/import-helpers';

/** ServiceM8 pointed at the fake: as configuration (harness overrides) and as environment (worker processes). */
export function servicem8Config(fake: FakeServiceM8, url: string) {
  const env = servicem8Env(fake, url);
  return { env, fsm: loadConfig({ NODE_ENV: 'test', ...env }).fsm };
}

/** Connects a ServiceM8 integration of the tenant, writeback on, with tokens the fake issued; returns its id. */
export async function writebackIntegration(sql: Sql, credentialsKey: string, fake: FakeServiceM8, tenantId: string): Promise<string> {
  const integration = await createIntegration(sql, tenantId, { provider: 'servicem8', displayName: 'ServiceM8', syncDirection: 'both', settings: {} });
  const tokens = fake.issueTokens();
  const expiresAt = new Date(Date.now() + tokens.expires_in * 1000);
  await saveCredentials(sql, new CredentialCipher(credentialsKey), tenantId, integration.id, { accessToken: tokens.access_token, refreshToken: tokens.refresh_token }, expiresAt);
  return integration.id;
}

/** One task per job of the integration, as an import writes them, with their lifecycle workflows; returns the task ids in job order. */
export async function tasksFromJobs(sql: Sql, temporal: TaskWorkflowDeps, tenantId: string, integrationId: string, jobUuids: string[]): Promise<string[]> {
  const tasks = await insertTasks(
    sql,
    tenantId,
    jobUuids.map((job) => ({ title: `Job ${job}`, source: 'integration' as const, integrationId, sourceProvider: 'servicem8' as const, externalJobId: job })),
  );
  await ensureTaskWorkflows(sql, temporal, tasks);
  return tasks.map((t) => t.id);
}

export interface JobTask {
  tenant: TenantFixture;
  integrationId: string;
  jobUuid: string;
  taskId: string;
}

/** A new tenant, its ServiceM8 integration, a new job there and the task it became. */
export async function jobTask(h: Harness, fake: FakeServiceM8): Promise<JobTask> {
  const tenant = await createTenantFixture(h.sql);
  const integrationId = await writebackIntegration(h.sql, h.config.credentialsKey, fake, tenant.tenantId);
  const [jobUuid] = fake.seedJobs(1);
  const [taskId] = await tasksFromJobs(h.sql, h.temporal, tenant.tenantId, integrationId, [jobUuid!]);
  return { tenant, integrationId, jobUuid: jobUuid!, taskId: taskId! };
}

/** Starts a session on the task and completes it through the Sessions API; returns the session id. */
export async function completedSession(h: Harness, job: JobTask): Promise<string> {
  const api = sessionApi(h);
  const { id } = (await api.start(job.tenant.admin.auth, job.taskId)).json<{ id: string }>();
  await api.complete(job.tenant.admin.auth, id, { score: 88, durationSeconds: 900, notes: 'Replaced the seal' });
  return id;
}

export interface WritebackRow {
  state: string;
  fsmNoteId: string | null;
  attempts: number;
}

export async function writebackRow(h: Harness, sessionId: string): Promise<WritebackRow | null> {
  const [row] = await h.sql<WritebackRow[]>`SELECT state, fsm_note_id, attempts FROM writebacks WHERE session_id = ${sessionId}`;
  return row ?? null;
}
