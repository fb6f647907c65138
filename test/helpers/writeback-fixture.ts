/**
 * The writeback suites' world: the integrations API's four fake FSMs and
 * harness (test/integrations-api/fixture.ts), an integration connected the
 * Dashboard's way with writeback on and its jobs imported, completed
 * sessions on an imported task, and each fake's view of a job's notes. The
 * writeback workflow is started here the way the session pipeline starts
 * it (prepareWritebacks, then writeback/<sessionId>/<integrationId>), with
 * short backoff and deadline settings, so these suites do not depend on the
 * pipeline.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { type WritebackDeps, createWritebackActivities } from '../../activities/writeback-activities';
import { RateLimiter } from '../../activities/rate-limiter';
import type { WritebackConfig } from '../../config';
import { createConnectorRegistry } from '../../connectors/registry';
import { htmlToText } from '../../connectors/simpro/mappers';
import type { Writeback } from '../../db/repositories/writebacks';
import { writebackWorkflowId } from '../../domain/ids';
import type { WritebackInput } from '../../domain/session';
import type { Provider } from '../../domain/task';
import type { writebackWorkflow } from '../../workflows/writeback';
import { SETTLE_MS, type World, dashboard, pauseSchedule } from '../integrations-api/fixture';
import { type TenantFixture, createTenantFixture, eventually, firstRow } from './harness';

/** The writebacks API's routes, as servedRoutes() prints them (test/writeback/api.test.ts covers them). */
export const WRITEBACK_ROUTES = ['GET /v1/writebacks', 'POST /v1/writebacks/:id/retry'] as const;

/** Backoff capped at 1 s, so a fault that clears is retried at once; a deadline no test reaches unless it means to. */
export const FAST: WritebackConfig = { maxBackoffSeconds: 1, deadlineSeconds: 300, attemptTimeoutSeconds: 60 };

export interface FsmNote {
  id: string;
  text: string;
}

/** What differs per FSM: how its fake keeps a job's notes (each refuses one through rejectNextNote). */
export interface FsmUnderTest {
  provider: Provider;
  notes(jobId: string): FsmNote[];
}

export function fsmUnderTest(w: World, provider: Provider): FsmUnderTest {
  const { servicem8, simpro, jobber, commusoft } = w.fakes;
  switch (provider) {
    case 'servicem8':
      return {
        provider,
        notes: (job) => servicem8.notesOn(job).map((n) => ({ id: String(n.uuid), text: String(n.note) })),
      };
    case 'simpro':
      return {
        provider,
        // Simpro keeps notes as HTML: read as the connector reads them.
        notes: (job) => (simpro.notes.get(Number(job)) ?? []).map((n) => ({ id: String(n.ID), text: htmlToText(String(n.Note ?? '')) })),
      };
    case 'jobber':
      return {
        provider,
        notes: (job) => jobber.jobs.get(job)!.notes.map((n) => ({ id: n.id, text: n.message })),
      };
    case 'commusoft':
      return {
        provider,
        notes: (job) => commusoft.jobs.get(job)!.notes.map((n) => ({ id: n.uuid, text: n.note })),
      };
  }
}

/** An imported task on a connected integration with writeback on. */
export interface JobFixture {
  tenant: TenantFixture;
  provider: Provider;
  integrationId: string;
  taskId: string;
  externalJobId: string;
}

export interface CompletedSession {
  score?: number | null;
  durationSeconds?: number | null;
  notes?: string | null;
  /** A user id; null for none. The tenant's admin by default. */
  engineerId?: string | null;
  recordingKey?: string | null;
  startedAt?: Date;
  endedAt?: Date;
}

export function writebackWorld(w: World) {
  const { h } = w;
  const api = dashboard(w);

  /** prepareWritebacks as the worker runs it, with these writeback settings. */
  const activities = (settings: WritebackConfig) => {
    const deps: WritebackDeps = {
      sql: h.sql,
      cipher: w.cipher,
      registry: createConnectorRegistry(h.config.fsm),
      limiter: new RateLimiter(),
      config: { ...h.config, writeback: settings },
    };
    return createWritebackActivities(deps);
  };

  /** Connects `provider` the Dashboard's way (writeback on unless said), waits for its first import, and picks one of its tasks. */
  async function importedJob(provider: Provider, opts: { writebackEnabled?: boolean } = {}): Promise<JobFixture> {
    const tenant = await createTenantFixture(h.sql, `Writeback ${provider}`);
    const { id } = await api.connect(tenant.admin.auth, provider, { writebackEnabled: opts.writebackEnabled ?? true });
    await pauseSchedule(w, id);
    await api.synced(tenant.admin.auth, id);
    const task = await firstRow(h.sql<{ id: string; externalJobId: string }[]>`
      SELECT id, external_job_id FROM tasks WHERE integration_id = ${id} ORDER BY external_job_id LIMIT 1`);
    return { tenant, provider, integrationId: id, taskId: task.id, externalJobId: task.externalJobId };
  }

  /** A completed session on the job's task, as the lifecycle workflow leaves it. */
  async function completedSession(job: JobFixture, s: CompletedSession = {}): Promise<string> {
    const endedAt = s.endedAt ?? new Date();
    const row = await firstRow(h.sql<{ id: string }[]>`
      INSERT INTO sessions (tenant_id, task_id, engineer_id, status, started_at, ended_at, score, duration_seconds, notes, recording_key)
      VALUES (${job.tenant.tenantId}, ${job.taskId}, ${s.engineerId === undefined ? job.tenant.admin.id : s.engineerId}, 'completed',
              ${s.startedAt ?? new Date(endedAt.getTime() - 30 * 60_000)}, ${endedAt}, ${s.score ?? null}, ${s.durationSeconds ?? null},
              ${s.notes ?? null}, ${s.recordingKey ?? null})
      RETURNING id`);
    return row.id;
  }

  /** The pipeline's part: the writeback's row and input, then its workflow started. */
  async function startWriteback(job: JobFixture, sessionId: string, settings: WritebackConfig = FAST) {
    const inputs = await activities(settings).prepareWritebacks({ tenantId: job.tenant.tenantId, taskId: job.taskId, sessionId });
    expect(inputs).toHaveLength(1);
    const input = inputs[0]!;
    const handle = await h.client.workflow.start<typeof writebackWorkflow>('writebackWorkflow', {
      workflowId: writebackWorkflowId(sessionId, job.integrationId),
      taskQueue: h.taskQueue,
      args: [input],
    });
    return { input, handle };
  }

  const writebackRow = (id: string) => firstRow(h.sql<Writeback[]>`SELECT * FROM writebacks WHERE id = ${id}`);

  /** Waits until the writeback's row is in `state`. */
  const inState = (id: string, state: Writeback['state']) =>
    eventually(async () => {
      const row = await writebackRow(id);
      return row.state === state ? row : null;
    }, SETTLE_MS);

  return { api, activities, importedJob, completedSession, startWriteback, writebackRow, inState };
}

export type WritebackWorld = ReturnType<typeof writebackWorld>;

/** The notes on the job that carry the session's marker line. */
export function notesOfSession(fsm: FsmUnderTest, job: JobFixture, sessionId: string): FsmNote[] {
  return fsm.notes(job.externalJobId).filter((n) => n.text.split('\n').includes(`Session: ${sessionId}`));
}

export type WritebackHandle = WorkflowHandle<typeof writebackWorkflow>;
export type { WritebackInput };
