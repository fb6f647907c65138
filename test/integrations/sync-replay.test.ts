/**
 * Replay of the sync workflows: a full sync over several pages with a 429
 * on the way, a sync ended by a revoked grant, and a scheduled run. Today's
 * histories must replay against today's code; with RECORD_HISTORIES=1 they
 * are saved (when missing) under test/fixtures/histories, where test/workflows/replay.test.ts
 * replays them against every later version of the workflows.
 */
import { loadConfig } from '../../config';
import { syncWorkflowId } from '../../domain/ids';
import { startSyncNow } from '../../temporal/integration-schedules';
import { FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, startHarness } from '../helpers/harness';
import { expectReplays, exportHistory, recordMissingFixtures } from '../helpers/histories';
import { connectedServiceM8, servicem8Env } from './import-helpers';

let h: Harness;
const fake = new FakeServiceM8();

beforeAll(async () => {
  fake.pageSize = 5;
  const url = await fake.start();
  h = await startHarness({ fsm: loadConfig({ NODE_ENV: 'test', ...servicem8Env(fake, url) }).fsm });
  fake.seedJobs(12);
});
afterAll(async () => {
  await h.stop();
  await fake.stop();
});

test('sync histories replay against the current workflows', async () => {
  const input = await connectedServiceM8(h);
  fake.rateLimitNext(1, 1);
  const full = await startSyncNow(h.client, h.taskQueue, input);
  expect(await full.result()).toMatchObject({ outcome: 'completed', progress: { created: 12, full: true } });

  const scheduled = await h.client.workflow.start('scheduledIntegrationSyncWorkflow', {
    workflowId: `sync-schedule/${input.integrationId}-replay`,
    taskQueue: h.taskQueue,
    args: [input],
  });
  expect(await scheduled.result()).toEqual({ started: true });
  const incremental = await h.client.workflow.getHandle(syncWorkflowId(input.integrationId)).result();
  expect(incremental).toMatchObject({ outcome: 'completed', progress: { full: false } });

  const revoked = await connectedServiceM8(h);
  fake.revokeAll();
  const ended = await startSyncNow(h.client, h.taskQueue, revoked);
  expect(await ended.result()).toMatchObject({ outcome: 'needs_reconnect' });

  const histories = [
    { name: 'integration-sync', json: exportHistory(full.workflowId, full.firstExecutionRunId) },
    { name: 'scheduled-integration-sync', json: exportHistory(scheduled.workflowId) },
    { name: 'integration-sync-needs-reconnect', json: exportHistory(ended.workflowId) },
  ];
  recordMissingFixtures(histories);
  await expectReplays(histories);
});
