/**
 * The pipeline's writeback step: a task imported from an integration with
 * writeback on gets one job-note writeback, started as its own workflow
 * (writeback/<sessionId>/<integrationId>, findable by its search
 * attributes) that the pipeline does not wait for; with writeback off, none.
 */
import { writebackWorkflowId } from '../../domain/ids';
import { FakeServiceM8 } from '../fakes/servicem8';
import { type Harness, type TenantFixture, createTenantFixture, eventually, startHarness } from '../helpers/harness';
import { completeSession, integrationTask, pipelineRow, servicem8Config, sessionCompletedEvents } from './sessions';

const fake = new FakeServiceM8();
let h: Harness;
let t: TenantFixture;

beforeAll(async () => {
  h = await startHarness(servicem8Config(fake, await fake.start()));
  t = await createTenantFixture(h.sql);
});
afterAll(async () => {
  await h.stop();
  await fake.stop();
});

test('writeback on: one writeback started, recorded in session.completed, and the note lands on the job', async () => {
  const { integrationId, jobId, taskId } = await integrationTask(h, t, fake, 'both');
  const { sessionId, pipeline } = await completeSession(h, t, { taskId });

  expect(await pipeline.result()).toEqual({ recordingKey: null, skipped: [], writebacks: [{ integrationId, state: 'pending' }] });
  const writebacks = await h.sql<{ id: string }[]>`SELECT id FROM writebacks WHERE session_id = ${sessionId}`;
  expect(writebacks).toHaveLength(1);
  expect(await sessionCompletedEvents(h, taskId)).toEqual([
    { sessionId, recordingKey: null, summary: true, procedures: 1, skipped: [], writebackIds: [writebacks[0]!.id] },
  ]);
  expect((await pipelineRow(h, sessionId)).pipelineState).toBe('done');

  const child = await h.client.workflow.getHandle(writebackWorkflowId(sessionId, integrationId)).describe();
  expect(child.type).toBe('writebackWorkflow');
  expect(child.searchAttributes).toMatchObject({ TenantId: [t.tenantId], TaskId: [taskId], FsmProvider: ['servicem8'], FsmJobId: [jobId] });
  await eventually(async () => fake.notesOn(jobId).length === 1);
});

test('writeback off on the integration: no writeback', async () => {
  const { taskId } = await integrationTask(h, t, fake, 'import');
  const { sessionId, pipeline } = await completeSession(h, t, { taskId });

  expect((await pipeline.result()).writebacks).toEqual([]);
  expect(await h.sql`SELECT id FROM writebacks WHERE session_id = ${sessionId}`).toHaveLength(0);
});
