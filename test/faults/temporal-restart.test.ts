/**
 * The Temporal server goes down in the middle of a session's pipeline and
 * comes back with its state (a dev server of this suite's own, persisting
 * to a file: test/helpers/dev-server.ts). The pipeline is held at its AI
 * step (a fake OpenAI-compatible API that answers only when told), the
 * server is stopped with SIGTERM, the AI step finishes while it is down, and
 * the server starts again on the same port and file. The worker and the
 * client keep their connections (the SDK reconnects on its own); the
 * pipeline completes and the job gets exactly one note.
 */
import type { TemporalConfig } from '../../config';
import { loadConfig } from '../../config';
import { jobNoteMarker } from '../../connectors/job-note';
import { sessionWorkflowId, writebackWorkflowId } from '../../domain/ids';
import { FakeAi } from '../fakes/fake-ai';
import { FakeServiceM8 } from '../fakes/servicem8';
import { type PersistentDevServer, startPersistentDevServer } from '../helpers/dev-server';
import { type Harness, firstRow, startHarness } from '../helpers/harness';
import { completedSession, jobTask, servicem8Config, writebackRow } from './fixture';

let server: PersistentDevServer;
let h: Harness;
let fsm: FakeServiceM8;
let ai: FakeAi;
/** The AI's first request waits for this; `aiHeld` resolves when it does. */
let releaseAi!: () => void;
let aiHeld!: Promise<void>;

beforeAll(async () => {
  server = await startPersistentDevServer();
  fsm = new FakeServiceM8();
  ai = new FakeAi();
  const gate = new Promise<void>((resolve) => (releaseAi = resolve));
  aiHeld = new Promise<void>((held) => {
    ai.app.addHook('preHandler', async () => {
      held();
      await gate;
    });
  });
  const [fsmUrl, aiUrl] = await Promise.all([fsm.start(), ai.start()]);
  const config = loadConfig({ NODE_ENV: 'test', AI_PROVIDER: 'openai', AI_BASE_URL: `${aiUrl}/v1`, AI_API_KEY: ai.apiKey, ...servicem8Config(fsm, fsmUrl).env });
  // The harness lays `temporal` over its own settings, keeping its task queue: only the address changes.
  h = await startHarness({ fsm: config.fsm, ai: config.ai, temporal: { address: server.address } as TemporalConfig });
}, 120_000);
afterAll(async () => {
  releaseAi();
  await h?.stop();
  await Promise.all([fsm.stop(), ai.stop(), server?.remove()]);
  expect(fsm.violations).toEqual([]);
});

test('the Temporal server restarts mid-pipeline: the pipeline completes and one note arrives', async () => {
  const job = await jobTask(h, fsm);
  const sessionId = await completedSession(h, job);
  await aiHeld;
  const pipelineState = async () => (await firstRow(h.sql<{ pipelineState: string }[]>`SELECT pipeline_state FROM sessions WHERE id = ${sessionId}`)).pipelineState;
  expect(await pipelineState()).toBe('extracting');

  await server.stop();
  // The AI answers while the server is down: the worker holds the activity's result until it can report it.
  releaseAi();
  await server.start();

  const pipeline = await h.client.workflow.getHandle(sessionWorkflowId(sessionId)).result();
  expect(pipeline).toMatchObject({ skipped: [], writebacks: [{ integrationId: job.integrationId, state: 'pending' }] });
  const writeback = await h.client.workflow.getHandle(writebackWorkflowId(sessionId, job.integrationId)).result();
  const notes = fsm.notesOn(job.jobUuid);
  expect(notes).toHaveLength(1);
  expect(notes[0]!.note).toContain(jobNoteMarker(sessionId));
  expect(writeback).toEqual({ state: 'posted', fsmNoteId: notes[0]!.uuid, reason: null });
  expect(await writebackRow(h, sessionId)).toMatchObject({ state: 'posted', fsmNoteId: notes[0]!.uuid });
  expect(await pipelineState()).toBe('done');
  // Both AI steps ran, each once: nothing was redone after the restart.
  expect(ai.requests.map((r) => r.body.response_format?.type ?? 'text')).toEqual(['json_object', 'text']);
}, 180_000);
