/**
 * How syncs start: one Temporal Schedule per integration, created and
 * updated idempotently, and startSyncNow, which joins a running sync
 * instead of starting a second one. Against a slow fake ServiceM8, so a sync
 * is still running when the second start arrives.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { loadConfig } from '../../config';
import { syncScheduleId, syncWorkflowId } from '../../domain/ids';
import { syncProgressQuery } from '../../domain/integration-sync';
import { deleteIntegrationSchedule, ensureIntegrationSchedule, startSyncNow } from '../../temporal/integration-schedules';
import { FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, eventually, startHarness } from '../helpers/harness';
import { connectedServiceM8, servicem8Env } from './import-helpers';

let h: Harness;
const fake = new FakeServiceM8();

beforeAll(async () => {
  const url = await fake.start();
  h = await startHarness({ fsm: loadConfig({ NODE_ENV: 'test', ...servicem8Env(fake, url) }).fsm });
  fake.seedJobs(20);
});
afterAll(async () => {
  await h.stop();
  await fake.stop();
});

test('"sync now" during a running sync joins it instead of starting a second; its progress is queryable', async () => {
  const input = await connectedServiceM8(h);
  fake.delayMs = 300;
  try {
    const first = await startSyncNow(h.client, h.taskQueue, input);
    const second = await startSyncNow(h.client, h.taskQueue, input);
    expect(second.workflowId).toBe(syncWorkflowId(input.integrationId));
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    const progress = await eventually(() => first.query(syncProgressQuery));
    expect(progress).toMatchObject({ full: true, phase: expect.stringMatching(/listing|done/) });
    expect(await second.result()).toMatchObject({ outcome: 'completed', progress: { created: 20, phase: 'done' } });
  } finally {
    fake.delayMs = 0;
  }
  // Once it has finished, the next start is a new sync.
  const third = await startSyncNow(h.client, h.taskQueue, input);
  expect(await third.result()).toMatchObject({ outcome: 'completed', progress: { created: 0 } });
});

test('the schedule is created once and updated in place; each run starts sync/<id>, or does nothing while one runs', async () => {
  const input = await connectedServiceM8(h);
  const handle = h.client.schedule.getHandle(syncScheduleId(input.integrationId));
  try {
    await ensureIntegrationSchedule(h.client, h.taskQueue, { ...input, syncIntervalSeconds: 300 });
    await ensureIntegrationSchedule(h.client, h.taskQueue, { ...input, syncIntervalSeconds: 600 });
    const described = await handle.describe();
    expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 600_000 })]);
    expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(described.action).toMatchObject({ workflowType: 'scheduledIntegrationSyncWorkflow', args: [input] });

    // A sync is running (a webhook started it): the scheduled run leaves it alone.
    fake.delayMs = 300;
    const running = await startSyncNow(h.client, h.taskQueue, input);
    await handle.trigger();
    const skipped = await eventually(async () => (await handle.describe()).info.recentActions[0]);
    expect(await h.client.workflow.getHandle(skipped.action.workflow.workflowId).result()).toEqual({ started: false });
    fake.delayMs = 0;
    await running.result();

    // Nothing running: the scheduled run starts sync/<id>.
    await handle.trigger();
    const started = await eventually(async () => (await handle.describe()).info.recentActions[1]);
    expect(await h.client.workflow.getHandle(started.action.workflow.workflowId).result()).toEqual({ started: true });
    const sync = await h.client.workflow.getHandle(syncWorkflowId(input.integrationId)).result();
    expect(sync).toMatchObject({ outcome: 'completed' });
  } finally {
    fake.delayMs = 0;
    await deleteIntegrationSchedule(h.client, input.integrationId);
    await deleteIntegrationSchedule(h.client, input.integrationId);
  }
  await expect(handle.describe()).rejects.toThrow();
});
