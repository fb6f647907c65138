/**
 * The post-session pipeline end to end on the real harness, with the
 * built-in AI provider: a completed session's recording is moved to its
 * permanent key, procedures and a summary are written, the task gets one
 * session.completed event, and the session shows pipeline_state done. The
 * recording step is also run on its own, as a retried activity would be.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSessionPipelineActivities, sessionRecordingKey } from '../../activities/session-pipeline';
import { createBuiltinProvider } from '../../ai/builtin';
import { FailureType } from '../../domain/failures';
import { sessionWorkflowId } from '../../domain/ids';
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from '../helpers/harness';
import { sessionApi } from '../helpers/session-api';
import { taskApi } from '../helpers/task-api';
import { OUTCOME, blobBytes, completeSession, pipelineRow, sessionCompletedEvents } from './sessions';

let h: Harness;
let t: TenantFixture;
let activities: ReturnType<typeof createSessionPipelineActivities>;

beforeAll(async () => {
  h = await startHarness();
  t = await createTenantFixture(h.sql);
  activities = createSessionPipelineActivities(h);
});
afterAll(() => h.stop());

/** An activity context as a worker gives one, without the SDK's log lines for the failures these tests expect. */
const activityEnv = () => {
  const quiet = () => {};
  return new MockActivityEnvironment(undefined, { logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet } });
};
const sha256 = (b: Buffer | null) => (b ? createHash('sha256').update(b).digest('hex') : null);
/** Larger than a few heartbeat intervals (4 MiB), so the copy heartbeats on the way. */
const recording = () => Buffer.alloc(10 * 1024 * 1024 + 123, randomUUID());

test('a completed session: recording stored, procedures and summary written, one session.completed event', async () => {
  const bytes = recording();
  const { taskId, sessionId, stagingKey, pipeline } = await completeSession(h, t, { recording: bytes });
  const permanent = sessionRecordingKey(t.tenantId, taskId, sessionId);

  expect(await pipeline.result()).toEqual({ recordingKey: permanent, skipped: [], writebacks: [] });

  const aiInput = {
    taskTitle: 'Replace pump seal',
    taskDescription: 'Unit 4 leaks at the pump',
    stepsCompleted: OUTCOME.stepsCompleted!,
    toolsUsed: OUTCOME.toolsUsed!,
    notes: OUTCOME.notes!,
    transcript: OUTCOME.transcript!,
    score: OUTCOME.score!,
    durationSeconds: OUTCOME.durationSeconds!,
  };
  const builtin = createBuiltinProvider();
  const procedures = await builtin.extractProcedures(aiInput);
  expect(procedures[0]!.steps).toEqual(['Isolate the unit', 'Replace the seal', 'Run a leak test']);
  expect(await pipelineRow(h, sessionId)).toEqual({
    pipelineState: 'done',
    pipelineSkipped: [],
    recordingKey: permanent,
    recordingSizeBytes: String(bytes.length),
    summary: await builtin.summarise(aiInput),
    procedures,
  });
  expect(sha256(await blobBytes(h, permanent))).toBe(sha256(bytes));
  expect(await blobBytes(h, stagingKey!)).toBeNull();
  expect(await sessionCompletedEvents(h, taskId)).toEqual([
    { sessionId, recordingKey: permanent, summary: true, procedures: 1, skipped: [], writebackIds: [] },
  ]);

});

test('through the Sessions API: the session shows the finished pipeline, and its link plays the stored recording', async () => {
  const sessions = sessionApi(h);
  const session = await sessions.started(t);
  const bytes = recording();
  await sessions.upload(t.engineer.auth, session.id, 'recording', bytes, 'video/mp4');
  await sessions.complete(t.engineer.auth, session.id, { ...OUTCOME });
  const result = await h.client.workflow.getHandle(sessionWorkflowId(session.id)).result();
  expect(result.recordingKey).toBe(sessionRecordingKey(t.tenantId, session.taskId, session.id));

  const shown = await sessions.get(t.engineer.auth, session.id);
  expect(shown).toMatchObject({ pipeline: { state: 'done', skipped: [] }, recording: { sizeBytes: bytes.length, contentType: 'video/mp4' } });
  expect(shown.summary).toEqual(expect.stringContaining('completed 3 steps in 31 minutes with a score of 92%'));
  const link = new URL(shown.recording!.url);
  const played = await h.app.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
  expect([played.statusCode, sha256(played.rawPayload)]).toEqual([200, sha256(bytes)]);
});

test('a session without a recording or anything step-like: no recording, no procedures, still done', async () => {
  const { taskId, sessionId, pipeline } = await completeSession(h, t, { outcome: { notes: 'Customer not home' } });
  expect(await pipeline.result()).toEqual({ recordingKey: null, skipped: [], writebacks: [] });
  expect(await pipelineRow(h, sessionId)).toMatchObject({
    pipelineState: 'done',
    recordingKey: null,
    summary: 'Replace pump seal: completed the session. Notes: Customer not home',
    procedures: [],
  });
  expect(await sessionCompletedEvents(h, taskId)).toEqual([{ sessionId, recordingKey: null, summary: true, procedures: 0, skipped: [], writebackIds: [] }]);
});

test('a pipeline whose session is gone (its task was deleted) ends quietly', async () => {
  const sessionId = randomUUID();
  const handle = await h.client.workflow.start('sessionPipelineWorkflow', {
    workflowId: sessionWorkflowId(sessionId),
    taskQueue: h.taskQueue,
    args: [{ tenantId: t.tenantId, taskId: randomUUID(), sessionId, recordingKey: `staging/${sessionId}` }],
  });
  expect(await handle.result()).toEqual({ recordingKey: null, skipped: [], writebacks: [] });
});

describe('storeRecording, as a retried activity runs it', () => {
  /** A session that is running, with a staged recording, and no pipeline yet. */
  async function stagedSession() {
    const task = await taskApi(h).create(t.admin.auth, { title: 'Staged' });
    const sessionId = randomUUID();
    const stagingKey = `staging/${t.tenantId}/${sessionId}/recording`;
    await h.sql`INSERT INTO sessions (id, tenant_id, task_id, recording_key) VALUES (${sessionId}, ${t.tenantId}, ${task.id}, ${stagingKey})`;
    const bytes = recording();
    await h.blobs.put(stagingKey, Readable.from([bytes]));
    return { input: { tenantId: t.tenantId, taskId: task.id, sessionId, stagingKey }, bytes };
  }

  test('heartbeats while copying; a second run changes nothing and removes a staged copy left behind', async () => {
    const { input, bytes } = await stagedSession();
    const env = activityEnv();
    const beats: number[] = [];
    env.on('heartbeat', (d: { copiedBytes: number }) => beats.push(d.copiedBytes));
    const permanent = sessionRecordingKey(input.tenantId, input.taskId, input.sessionId);
    expect(await env.run(activities.storeRecording, input)).toBe(permanent);

    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats).toEqual([...beats].sort((a, b) => a - b));
    expect(await blobBytes(h, input.stagingKey)).toBeNull();

    // A worker died after the row pointed at the permanent key, before the staged blob was removed.
    await h.blobs.put(input.stagingKey, Readable.from([Buffer.from('stale')]));
    expect(await activityEnv().run(activities.storeRecording, input)).toBe(permanent);
    expect(await blobBytes(h, input.stagingKey)).toBeNull();
    expect(sha256(await blobBytes(h, permanent))).toBe(sha256(bytes));
    expect((await pipelineRow(h, input.sessionId)).recordingKey).toBe(permanent);
  });

  test('a cancelled copy leaves no permanent blob and the session pointing at the staged one', async () => {
    const { input, bytes } = await stagedSession();
    const env = activityEnv();
    env.on('heartbeat', (d: { copiedBytes: number }) => {
      if (d.copiedBytes > 0) env.cancel();
    });
    await expect(env.run(activities.storeRecording, input)).rejects.toThrow();

    expect(await blobBytes(h, sessionRecordingKey(input.tenantId, input.taskId, input.sessionId))).toBeNull();
    expect(sha256(await blobBytes(h, input.stagingKey))).toBe(sha256(bytes));
    expect((await pipelineRow(h, input.sessionId)).recordingKey).toBe(input.stagingKey);
  });

  test('the task deleted: a non-retryable TaskNotFound, so the pipeline ends', async () => {
    const { input } = await stagedSession();
    await taskApi(h).send('DELETE', `/v1/tasks/${input.taskId}`, t.admin.auth, 204);
    const err = await activityEnv().run(activities.storeRecording, input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect([(err as ApplicationFailure).type, (err as ApplicationFailure).nonRetryable]).toEqual([FailureType.TaskNotFound, true]);
  });
});
