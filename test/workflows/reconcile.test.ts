/**
 * No live task without its workflow, whatever process dies when: a process
 * killed between committing the task row and starting its workflow leaves a
 * row the reconciler schedule repairs; a command to such a task repairs it too.
 */
import { spawn } from 'node:child_process';
import { WorkflowNotFoundError } from '@temporalio/client';
import { insertTasks } from '../../db/repositories/tasks';
import { RECONCILE_INTEGRATIONS_SCHEDULE_ID, RECONCILE_SCHEDULE_ID, taskWorkflowId } from '../../domain/ids';
import { ensureSchedules } from '../../worker';
import { type Harness, createTenantFixture, env, eventually, firstRow, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ reconcileGraceSeconds: 0, reconcileIntervalSeconds: 1 });
});
/** ensureSchedules creates both reconcilers on this suite's task queue; neither may outlive the suite's worker. */
const deleteSchedules = () =>
  Promise.all([RECONCILE_SCHEDULE_ID, RECONCILE_INTEGRATIONS_SCHEDULE_ID].map((id) => h.client.schedule.getHandle(id).delete().catch(() => undefined)));
afterAll(async () => {
  await deleteSchedules();
  await h.stop();
});

/** Runs crash-create-child.ts and SIGKILLs it when it is about to start the workflow. */
function createTaskAndDie(token: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), require.resolve('../helpers/crash-create-child.ts')], {
      env: {
        ...process.env,
        DATABASE_URL: env('TEST_DATABASE_URL'),
        TEMPORAL_ADDRESS: env('TEST_TEMPORAL_ADDRESS'),
        TEMPORAL_TASK_QUEUE: h.taskQueue,
        CRASH_TOKEN: token,
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ABOUT_TO_START task\/(\S+)/.exec(out);
      if (match) {
        child.kill('SIGKILL');
        child.once('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(match[1]!) : reject(new Error(`child exited: ${signal}`))));
      }
    });
    child.once('exit', (code) => {
      if (!/ABOUT_TO_START/.test(out)) reject(new Error(`child exited with ${code} before starting a workflow: ${out}`));
    });
  });
}

test('a process killed between the row write and the workflow start: the reconciler starts the workflow', async () => {
  const t = await createTenantFixture(h.sql);
  const taskId = await createTaskAndDie(t.admin.token);

  // The row and its creation event are committed; the workflow does not exist.
  const row = await firstRow(h.sql<{ workflowStartedAt: Date | null }[]>`SELECT workflow_started_at FROM tasks WHERE id = ${taskId}`);
  expect(row.workflowStartedAt).toBeNull();
  expect(await h.sql`SELECT type FROM task_events WHERE task_id = ${taskId}`).toEqual([{ type: 'task.created' }]);
  const handle = h.client.workflow.getHandle(taskWorkflowId(taskId));
  await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

  // The worker's schedule (created twice: the second call changes nothing) repairs it.
  const config = { ...h.config, temporal: { ...h.config.temporal, taskQueue: h.taskQueue } };
  await ensureSchedules(h.client, config);
  await ensureSchedules(h.client, config);
  await eventually(async () => (await handle.describe().catch(() => null))?.status.name === 'RUNNING');
  await eventually(async () => (await firstRow(h.sql<{ workflowStartedAt: Date | null }[]>`SELECT workflow_started_at FROM tasks WHERE id = ${taskId}`)).workflowStartedAt);

  // Stop it, so the next test sees a missing workflow only the API can repair.
  await deleteSchedules();

  // And the task works as any other.
  const done = await h.app.inject({ method: 'POST', url: `/v1/tasks/${taskId}/complete`, headers: t.admin.auth });
  expect(done.statusCode).toBe(200);
  expect(done.json()).toMatchObject({ status: 'completed', sessionBadge: 'manual' });
});

test('a command to a task whose workflow is missing starts the workflow and succeeds', async () => {
  const t = await createTenantFixture(h.sql);
  // A row as a crash leaves it: committed, no workflow.
  const [task] = await insertTasks(h.sql, t.tenantId, [{ title: 'Orphan row', source: 'manual' }]);
  const res = await h.app.inject({
    method: 'POST',
    url: `/v1/tasks/${task!.id}/status`,
    headers: t.admin.auth,
    payload: { status: 'waiting' },
  });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ status: 'waiting' });
  expect((await h.client.workflow.getHandle(taskWorkflowId(task!.id)).describe()).status.name).toBe('RUNNING');
});
