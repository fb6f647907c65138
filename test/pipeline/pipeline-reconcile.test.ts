/**
 * The reconciler's safety net for pipelines: a completed session whose
 * pipeline never started (an operator terminated its task's workflow between
 * recording the completion and starting the child) gets its pipeline from
 * the next reconcile run, once; a session whose pipeline exists is left alone.
 */
import { randomUUID } from 'node:crypto';
import { createMaintenanceActivities } from '../../activities/maintenance-activities';
import { sessionWorkflowId } from '../../domain/ids';
import { type Harness, type TenantFixture, createTenantFixture, eventually, startHarness } from '../helpers/harness';
import { taskApi } from '../helpers/task-api';
import { pipelineRow, sessionCompletedEvents } from './sessions';

// Other suites share the database: a grace far beyond their sessions' ages keeps this run to the rows made here.
const GRACE_SECONDS = 30 * 60;
let h: Harness;
let t: TenantFixture;

beforeAll(async () => {
  h = await startHarness();
  t = await createTenantFixture(h.sql);
});
afterAll(() => h.stop());

/** A task with a session completed two hours ago whose pipeline never started. */
async function orphanedSession(): Promise<{ taskId: string; sessionId: string }> {
  const task = await taskApi(h).create(t.admin.auth, { title: 'Orphaned session' });
  const sessionId = randomUUID();
  await h.sql`
    INSERT INTO sessions (id, tenant_id, task_id, engineer_id, status, started_at, ended_at, pipeline_state, steps_completed, notes)
    VALUES (${sessionId}, ${t.tenantId}, ${task.id}, ${t.engineer.id}, 'completed', now() - interval '3 hours', now() - interval '2 hours',
            'pending', 3, 'Step 1: isolate\nStep 2: replace')`;
  return { taskId: task.id, sessionId };
}

test('a completed session without its pipeline gets one from the reconciler, once', async () => {
  const { taskId, sessionId } = await orphanedSession();
  const handle = h.client.workflow.getHandle(sessionWorkflowId(sessionId));
  await expect(handle.describe()).rejects.toThrow();

  const reconcile = createMaintenanceActivities({ sql: h.sql, ...h.temporal });
  expect(await reconcile.startMissingSessionPipelines({ graceSeconds: GRACE_SECONDS, limit: 500 })).toBe(1);
  await handle.result();
  expect(await pipelineRow(h, sessionId)).toMatchObject({ pipelineState: 'done', summary: expect.any(String) });
  expect(await sessionCompletedEvents(h, taskId)).toHaveLength(1);

  // Done now: nothing to start, and no second pipeline.
  expect(await reconcile.startMissingSessionPipelines({ graceSeconds: GRACE_SECONDS, limit: 500 })).toBe(0);
  expect(await sessionCompletedEvents(h, taskId)).toHaveLength(1);
});

test('a pipeline that exists but has not moved its session yet is not started again', async () => {
  const { sessionId } = await orphanedSession();
  const reconcile = createMaintenanceActivities({ sql: h.sql, ...h.temporal });
  await h.stopWorker(); // the pipeline is started but nothing runs it: the row stays pending
  try {
    expect(await reconcile.startMissingSessionPipelines({ graceSeconds: GRACE_SECONDS, limit: 500 })).toBe(1);
    expect(await reconcile.startMissingSessionPipelines({ graceSeconds: GRACE_SECONDS, limit: 500 })).toBe(0);
    expect((await pipelineRow(h, sessionId)).pipelineState).toBe('pending');
  } finally {
    await h.startWorker();
  }
  await eventually(async () => (await pipelineRow(h, sessionId)).pipelineState === 'done');
});
