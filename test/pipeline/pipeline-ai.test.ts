/**
 * The pipeline with the OpenAI-compatible provider, against a fake server
 * (AI_MAX_ATTEMPTS 2): failures the provider calls retryable are retried,
 * a malformed answer is not, and an AI step that fails past its retries is
 * skipped while the pipeline goes on to the end.
 */
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from '../helpers/harness';
import { FakeAi } from '../fakes/fake-ai';
import { completeSession, pipelineRow, sessionCompletedEvents } from './sessions';

const fake = new FakeAi();
let h: Harness;
let t: TenantFixture;

beforeAll(async () => {
  await fake.start();
  h = await startHarness({ ai: { provider: 'openai', baseUrl: `${fake.url}/v1`, apiKey: fake.apiKey, model: 'gpt-fake', timeoutMs: 5000, maxAttempts: 2 } });
  t = await createTenantFixture(h.sql);
});
afterAll(async () => {
  await h.stop();
  await fake.stop();
});
beforeEach(() => fake.reset());

const PROCEDURES = [{ title: 'Seal replacement', steps: ['Isolate the unit', 'Replace the seal', 'Leak test'], tools: ['torque wrench'] }];

test('what the provider answers is stored; a 500 and a 429 are retried', async () => {
  fake.procedures = { procedures: PROCEDURES };
  fake.summary = 'Seal replaced and leak tested.';
  fake.failNext(1, 500, 'procedures');
  fake.rateLimitNext(1, 1, 'summary');
  const { taskId, sessionId, pipeline } = await completeSession(h, t);

  expect(await pipeline.result()).toEqual({ recordingKey: null, skipped: [], writebacks: [] });
  // procedures: 500, then ok; summary: 429, then ok.
  expect([fake.requestsFor('procedures').length, fake.requestsFor('summary').length]).toEqual([2, 2]);
  expect(await pipelineRow(h, sessionId)).toMatchObject({
    pipelineState: 'done',
    pipelineSkipped: [],
    procedures: PROCEDURES,
    summary: 'Seal replaced and leak tested.',
  });
  expect(await sessionCompletedEvents(h, taskId)).toEqual([{ sessionId, recordingKey: null, summary: true, procedures: 1, skipped: [], writebackIds: [] }]);
});

test('a malformed answer is not retried: the step is skipped, the next one runs', async () => {
  fake.malformedNext(1);
  const { sessionId, pipeline } = await completeSession(h, t);

  expect(await pipeline.result()).toEqual({ recordingKey: null, skipped: ['procedures'], writebacks: [] });
  expect([fake.requestsFor('procedures').length, fake.requestsFor('summary').length]).toEqual([1, 1]);
  expect(await pipelineRow(h, sessionId)).toMatchObject({ pipelineState: 'done', pipelineSkipped: ['procedures'], procedures: null, summary: fake.summary });
});

test('an AI provider that always fails: both steps skipped after their attempts, the pipeline still finishes', async () => {
  fake.down = true;
  const { taskId, sessionId, pipeline } = await completeSession(h, t, { recording: Buffer.from('video bytes') });

  const result = await pipeline.result();
  expect(result.skipped).toEqual(['procedures', 'summary']);
  expect(result.recordingKey).not.toBeNull();
  expect([fake.requestsFor('procedures').length, fake.requestsFor('summary').length]).toEqual([2, 2]);
  expect(await pipelineRow(h, sessionId)).toMatchObject({
    pipelineState: 'done',
    pipelineSkipped: ['procedures', 'summary'],
    recordingKey: result.recordingKey,
    procedures: null,
    summary: null,
  });
  expect(await sessionCompletedEvents(h, taskId)).toEqual([
    { sessionId, recordingKey: result.recordingKey, summary: false, procedures: 0, skipped: ['procedures', 'summary'], writebackIds: [] },
  ]);
});
