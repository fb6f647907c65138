/**
 * Replay of the session pipeline: histories recorded from earlier code
 * (test/fixtures/histories/session-pipeline*.json) must replay against the
 * current workflow, or a deployed change would break running pipelines.
 * Four paths: everything done (recording, AI steps), both AI steps skipped,
 * a session that is gone, and one whose task takes a job note (a writeback
 * child started); and the task lifecycle that started and completed the
 * first session (task-lifecycle-session*.json, replayed with the others by
 * test/workflows/replay.test.ts).
 *
 * Each generation of the code keeps its fixtures: the unmarked names were
 * recorded with regular activities and a child pipeline, the `-local` ones
 * after the patches `pipeline-local-bookkeeping` and `lifecycle-local-writes`.
 * After the next versioned change, give GENERATION a new tag and run
 * RECORD_HISTORIES=1 npm test -- test/pipeline/replay.test.ts
 * to save the new generation beside the old (a fixture is never overwritten).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { sessionWorkflowId, taskWorkflowId } from '../../domain/ids';
import { FakeAi } from '../fakes/fake-ai';
import { FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, createTenantFixture, startHarness } from '../helpers/harness';
import { HISTORY_FIXTURES, expectReplays, exportHistory, recordMissingFixtures } from '../helpers/histories';
import { completeSession, integrationTask, servicem8Config } from './sessions';

/** The tag in the names of the fixtures this code records (see the header). */
const GENERATION = '-local';

const fake = new FakeAi();
const fsm = new FakeServiceM8();
let h: Harness;

beforeAll(async () => {
  await fake.start();
  h = await startHarness({
    ...servicem8Config(fsm, await fsm.start()),
    ai: { provider: 'openai', baseUrl: `${fake.url}/v1`, apiKey: fake.apiKey, model: 'gpt-fake', timeoutMs: 5000, maxAttempts: 1 },
  });
});
afterAll(async () => {
  await h.stop();
  await Promise.all([fake.stop(), fsm.stop()]);
});

async function recordScenarios(): Promise<{ name: string; json: string }[]> {
  const t = await createTenantFixture(h.sql);
  fake.reset();
  fake.procedures = { procedures: [{ title: 'Seal', steps: ['Isolate', 'Replace'], tools: [] }] };
  const done = await completeSession(h, t, { recording: Buffer.from('recording bytes') });
  await done.pipeline.result();

  fake.down = true;
  const skipped = await completeSession(h, t);
  expect((await skipped.pipeline.result()).skipped).toEqual(['procedures', 'summary']);

  const sessionId = randomUUID();
  const gone = await h.client.workflow.start('sessionPipelineWorkflow', {
    workflowId: sessionWorkflowId(sessionId),
    taskQueue: h.taskQueue,
    args: [{ tenantId: t.tenantId, taskId: randomUUID(), sessionId, recordingKey: null }],
  });
  await gone.result();

  fake.down = false;
  const { taskId } = await integrationTask(h, t, fsm, 'both');
  const writeback = await completeSession(h, t, { taskId });
  expect((await writeback.pipeline.result()).writebacks).toHaveLength(1);

  return [
    { name: `session-pipeline${GENERATION}`, json: exportHistory(done.pipeline.workflowId) },
    { name: `session-pipeline${GENERATION}-ai-skipped`, json: exportHistory(skipped.pipeline.workflowId) },
    { name: `session-pipeline${GENERATION}-session-gone`, json: exportHistory(gone.workflowId) },
    { name: `session-pipeline${GENERATION}-writeback`, json: exportHistory(writeback.pipeline.workflowId) },
    // The task's lifecycle with a session started and completed, which started the pipeline.
    { name: `task-lifecycle-session${GENERATION}`, json: exportHistory(taskWorkflowId(done.taskId)) },
  ];
}

test('pipeline histories recorded from earlier code replay against the current workflow', async () => {
  if (process.env.RECORD_HISTORIES) recordMissingFixtures(await recordScenarios());
  const files = readdirSync(HISTORY_FIXTURES).filter((f) => /^(session-pipeline|task-lifecycle-session)/.test(f) && f.endsWith('.json'));
  // Four pipelines and a lifecycle, for each of the two generations.
  expect(files).toHaveLength(10);
  await expectReplays(files.map((f) => ({ name: f, json: readFileSync(path.join(HISTORY_FIXTURES, f), 'utf8') })));
});

test('pipeline histories of the current code replay too', async () => {
  await expectReplays(await recordScenarios());
});
