/**
 * What the job-note writeback must do on every FSM, against that FSM's fake
 * with a real worker, PostgreSQL and Temporal: a session completed through
 * the Sessions API leaves exactly one note in seed 002's format (through
 * the session pipeline); the writeback workflow, started as the pipeline
 * starts it, drops lines whose data is missing, rides out outages, 429s and
 * a lost response with one note, waits for a reconnect when the grant is
 * revoked, ends as skipped when writeback is turned off, as failed with
 * the FSM's message when the note is refused (and posts on a retry), and as
 * failed at its deadline. Each FSM's file runs it.
 */
import { verifyRecordingSignature } from '../../blob/signed-url';
import { writebackWorkflowId } from '../../domain/ids';
import { writebackProgressQuery } from '../../domain/session';
import type { Provider } from '../../domain/task';
import { type World, SETTLE_MS, TEST_TIMEOUT_MS, startWorld } from '../integrations-api/fixture';
import { eventually, firstRow } from '../helpers/harness';
import { FAST, type FsmUnderTest, type JobFixture, type WritebackWorld, fsmUnderTest, notesOfSession, writebackWorld } from '../helpers/writeback-fixture';

const TITLE = '✅ Training completed via TrainAR';

export function describeWritebackContract(provider: Provider): void {
  jest.setTimeout(TEST_TIMEOUT_MS);
  let w: World;
  let wb: WritebackWorld;
  let fsm: FsmUnderTest;

  beforeAll(async () => {
    w = await startWorld();
    wb = writebackWorld(w);
    fsm = fsmUnderTest(w, provider);
  });
  afterAll(() => w?.stop());
  afterEach(() => {
    w.fakes[provider].clearFaults();
    expect(w.fakes[provider].violations).toEqual([]);
  });

  const userOf = (id: string) => firstRow(w.h.sql<{ name: string; email: string }[]>`SELECT name, email FROM users WHERE id = ${id}`);
  const endedAt = async (sessionId: string) => (await firstRow(w.h.sql<{ endedAt: Date }[]>`SELECT ended_at FROM sessions WHERE id = ${sessionId}`)).endedAt;
  /** Seed 002's note with every line, for a session the tenant's admin completed with a recording. */
  const everyLine = async (job: JobFixture, sessionId: string, shown: { score: string; duration: string; notes: string }) => {
    const admin = await userOf(job.tenant.admin.id);
    return [
      TITLE,
      `Session: ${sessionId}`,
      `Score: ${shown.score}`,
      `Duration: ${shown.duration}`,
      expect.stringMatching(/^Video: https:\/\/taskhub\.example\.test\/v1\/recordings\//),
      `Completed by: ${admin.name} (${admin.email})`,
      `Notes: ${shown.notes}`,
      `Completed: ${(await endedAt(sessionId)).toISOString()}`,
    ];
  };
  const expectOneNote = (job: JobFixture, sessionId: string) => {
    const notes = notesOfSession(fsm, job, sessionId);
    expect(notes).toHaveLength(1);
    return notes[0]!;
  };
  const card = async (job: JobFixture) => {
    const res = await w.h.app.inject({ method: 'GET', url: '/v1/integrations', headers: job.tenant.admin.auth });
    return res.json<{ items: { id: string; status: string; writebacks: Record<string, number>; lastWritebackError: { message: string; at: string } | null }[] }>().items.find((i) => i.id === job.integrationId)!;
  };
  const listed = async (query: string) => {
    const ids: string[] = [];
    for await (const execution of w.h.client.workflow.list({ query })) ids.push(execution.workflowId);
    return ids;
  };

  test("start, upload a recording, complete (twice): exactly one note in the seed's format whose video link plays the recording; the task shows Session ✓", async () => {
    const job = await wb.importedJob(provider);
    const auth = job.tenant.admin.auth;
    const started = await w.h.app.inject({ method: 'POST', url: '/v1/sessions', headers: auth, payload: { taskId: job.taskId } });
    expect({ status: started.statusCode, body: started.body }).toMatchObject({ status: 201 });
    const sessionId = started.json<{ id: string }>().id;
    const recording = Buffer.from(`recording of ${sessionId}`);
    const uploaded = await w.h.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${sessionId}/recording`,
      headers: { ...auth, 'content-type': 'video/mp4' },
      payload: recording,
    });
    expect({ status: uploaded.statusCode, body: uploaded.body }).toMatchObject({ status: 200 });
    const outcome = { score: 87, durationSeconds: 1860, notes: 'Replaced the fuse; tested the circuit.' };
    for (let i = 0; i < 2; i++) {
      const done = await w.h.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/complete`, headers: auth, payload: outcome });
      expect({ status: done.statusCode, body: done.body }).toMatchObject({ status: 200 });
    }

    const handle = w.h.client.workflow.getHandle(writebackWorkflowId(sessionId, job.integrationId));
    const result = await eventually(async () => handle.result(), SETTLE_MS);
    const row = await firstRow(w.h.sql<{ state: string; fsmNoteId: string }[]>`SELECT state, fsm_note_id FROM writebacks WHERE session_id = ${sessionId}`);
    expect(result).toEqual({ state: 'posted', fsmNoteId: row.fsmNoteId, reason: null });
    const note = expectOneNote(job, sessionId);
    expect(note.id).toBe(row.fsmNoteId);
    const lines = note.text.split('\n');
    expect(lines).toEqual(await everyLine(job, sessionId, { score: '87%', duration: '31 minutes', notes: 'Replaced the fuse; tested the circuit.' }));

    // The note's link plays the recording (from its permanent key, where the pipeline moved it), with no token.
    const video = new URL(lines[4]!.slice('Video: '.length));
    const played = await w.h.app.inject({ method: 'GET', url: `${video.pathname}${video.search}` });
    expect(played.statusCode).toBe(200);
    expect(played.rawPayload.equals(recording)).toBe(true);

    const detail = await w.h.app.inject({ method: 'GET', url: `/v1/tasks/${job.taskId}`, headers: auth });
    expect(detail.json()).toMatchObject({
      status: 'completed',
      completionSource: 'session',
      sessionBadge: 'session',
      session: { id: sessionId, status: 'completed', durationSeconds: 1860, notes: outcome.notes, url: `/v1/sessions/${sessionId}` },
    });
  });

  test('every line of the seed when the session has all its data, with a signed link to the recording', async () => {
    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job, { score: 100, durationSeconds: 89, notes: '  Swapped the valve.  ', recordingKey: `staging/${job.taskId}` });
    const { handle } = await wb.startWriteback(job, sessionId);
    expect(await handle.result()).toMatchObject({ state: 'posted' });

    const lines = expectOneNote(job, sessionId).text.split('\n');
    expect(lines).toEqual(await everyLine(job, sessionId, { score: '100%', duration: '1 minute', notes: 'Swapped the valve.' }));
    const video = new URL(lines[4]!.slice('Video: '.length));
    expect(video.pathname).toBe(`/v1/recordings/${sessionId}`);
    const signed = { tenantId: video.searchParams.get('t')!, sessionId, exp: Number(video.searchParams.get('exp')), sig: video.searchParams.get('sig')! };
    expect(signed.tenantId).toBe(job.tenant.tenantId);
    expect(verifyRecordingSignature(w.h.config.sessions.recordingUrlKey, signed)).toBe('ok');
  });

  test('lines whose data is missing are dropped: no score, engineer, notes or recording; the duration from start and end', async () => {
    const job = await wb.importedJob(provider);
    const end = new Date();
    const sessionId = await wb.completedSession(job, { engineerId: null, startedAt: new Date(end.getTime() - 10 * 60_000), endedAt: end, notes: '   ' });
    const { handle } = await wb.startWriteback(job, sessionId);
    expect(await handle.result()).toMatchObject({ state: 'posted' });
    expect(expectOneNote(job, sessionId).text.split('\n')).toEqual([TITLE, `Session: ${sessionId}`, 'Duration: 10 minutes', `Completed: ${(await endedAt(sessionId)).toISOString()}`]);
  });

  test('an FSM outage: retrying, findable by search attribute, the pending activity showing attempts and the last failure; one note once it recovers', async () => {
    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job, { score: 70 });
    w.fakes[provider].failNext(100_000, 503, { message: 'Service temporarily unavailable' });
    const { input, handle } = await wb.startWriteback(job, sessionId);

    const retrying = await wb.inState(input.writebackId, 'retrying');
    expect(retrying.lastError).toMatch(/503/);
    await eventually(async () => (await listed(`WritebackState='retrying' AND FsmProvider='${provider}' AND TenantId='${job.tenant.tenantId}'`)).includes(handle.workflowId), SETTLE_MS);
    const pending = await eventually(async () => {
      const activity = (await handle.describe()).raw.pendingActivities?.[0];
      return activity && (activity.attempt ?? 0) >= 2 ? activity : null;
    }, SETTLE_MS);
    expect(pending.activityType?.name).toBe('postWritebackNote');
    expect(pending.lastFailure?.message).toMatch(/503/);
    expect((await card(job)).writebacks).toMatchObject({ retrying: 1 });

    w.fakes[provider].clearFaults();
    expect(await handle.result()).toMatchObject({ state: 'posted' });
    expectOneNote(job, sessionId);
    const row = await wb.writebackRow(input.writebackId);
    expect(row.attempts).toBeGreaterThanOrEqual(3);
    await eventually(async () => (await listed(`WritebackState='posted' AND TenantId='${job.tenant.tenantId}'`)).includes(handle.workflowId), SETTLE_MS);
  });

  test('429s with Retry-After: waits them out, then one note', async () => {
    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job, { score: 55 });
    w.fakes[provider].rateLimitNext(3, 1);
    const { input, handle } = await wb.startWriteback(job, sessionId);
    expect(await handle.result()).toMatchObject({ state: 'posted' });
    expectOneNote(job, sessionId);
    expect((await wb.writebackRow(input.writebackId)).attempts).toBe(4);
  });

  test('the FSM took the note but its answer was lost: the next try finds it on the job and posts no second one', async () => {
    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job, { score: 91 });
    w.fakes[provider].loseResponseAfterWrite(1);
    const { input, handle } = await wb.startWriteback(job, sessionId);
    const result = await handle.result();
    const note = expectOneNote(job, sessionId);
    expect(result).toEqual({ state: 'posted', fsmNoteId: note.id, reason: null });
    expect(await wb.writebackRow(input.writebackId)).toMatchObject({ state: 'posted', fsmNoteId: note.id, attempts: 2 });
  });

  test('a revoked grant: waiting_for_reconnect, shown on the card; a reconnect posts the one note', async () => {
    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job, { score: 64 });
    w.fakes[provider].revokeAll();
    const { input, handle } = await wb.startWriteback(job, sessionId);

    const waiting = await wb.inState(input.writebackId, 'waiting_for_reconnect');
    expect(waiting.lastError).toBeTruthy();
    expect(await handle.query(writebackProgressQuery)).toMatchObject({ state: 'waiting_for_reconnect', lastError: waiting.lastError });
    const shown = await card(job);
    expect(shown).toMatchObject({ status: 'needs_reconnect', writebacks: { waiting_for_reconnect: 1 }, lastWritebackError: { message: waiting.lastError } });
    await eventually(async () => (await listed(`WritebackState='waiting_for_reconnect' AND TenantId='${job.tenant.tenantId}'`)).includes(handle.workflowId), SETTLE_MS);

    await wb.api.reconnect(job.tenant.admin.auth, job.integrationId, provider);
    expect(await handle.result()).toMatchObject({ state: 'posted' });
    expectOneNote(job, sessionId);
    expect((await card(job)).writebacks).toEqual({ failed: 0, waiting_for_reconnect: 0, retrying: 0 });
  });

  test('writeback off: no writeback and no note; turned off while one waits for a reconnect: it ends as skipped', async () => {
    const off = await wb.importedJob(provider, { writebackEnabled: false });
    const unwritten = await wb.completedSession(off);
    expect(await wb.activities(FAST).prepareWritebacks({ tenantId: off.tenant.tenantId, taskId: off.taskId, sessionId: unwritten })).toEqual([]);
    expect(await w.h.sql`SELECT id FROM writebacks WHERE session_id = ${unwritten}`).toHaveLength(0);

    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job);
    w.fakes[provider].revokeAll();
    const { input, handle } = await wb.startWriteback(job, sessionId);
    await wb.inState(input.writebackId, 'waiting_for_reconnect');
    const res = await w.h.app.inject({ method: 'PATCH', url: `/v1/integrations/${job.integrationId}`, headers: job.tenant.admin.auth, payload: { writebackEnabled: false } });
    expect(res.statusCode).toBe(200);
    expect(await handle.result()).toEqual({ state: 'skipped', fsmNoteId: null, reason: expect.stringMatching(/turned off/) });
    expect((await wb.writebackRow(input.writebackId)).state).toBe('skipped');
    expect(notesOfSession(fsm, job, sessionId)).toEqual([]);
  });

  test("a refused note fails at once with the FSM's message; retrying it posts the one note, attempts kept", async () => {
    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job, { score: 12 });
    w.fakes[provider].rejectNextNote('the note is not acceptable here');
    const { input, handle } = await wb.startWriteback(job, sessionId);
    expect(await handle.result()).toEqual({ state: 'failed', fsmNoteId: null, reason: expect.stringContaining('the note is not acceptable here') });
    const failed = await wb.writebackRow(input.writebackId);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1, lastError: expect.stringContaining('the note is not acceptable here') });
    expect(notesOfSession(fsm, job, sessionId)).toEqual([]);
    expect(await card(job)).toMatchObject({ writebacks: { failed: 1 }, lastWritebackError: { message: failed.lastError } });

    const res = await w.h.app.inject({ method: 'POST', url: `/v1/writebacks/${input.writebackId}/retry`, headers: job.tenant.admin.auth });
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 202 });
    const posted = await wb.inState(input.writebackId, 'posted');
    expect(posted.attempts).toBe(2);
    expect(expectOneNote(job, sessionId).id).toBe(posted.fsmNoteId);
  });

  test('past its deadline it gives up: failed, saying so and why', async () => {
    const job = await wb.importedJob(provider);
    const sessionId = await wb.completedSession(job, { score: 33 });
    w.fakes[provider].failNext(100_000, 503, { message: 'Service temporarily unavailable' });
    const { input, handle } = await wb.startWriteback(job, sessionId, { ...FAST, deadlineSeconds: 3 });
    const result = await handle.result();
    // Why, too: the last failure (unless the machine was so slow that none came back before the deadline).
    expect(result).toEqual({ state: 'failed', fsmNoteId: null, reason: expect.stringMatching(/^gave up after 3 seconds(: .*503.*)?$/) });
    expect(await wb.writebackRow(input.writebackId)).toMatchObject({ state: 'failed', lastError: result.reason });
    expect(notesOfSession(fsm, job, sessionId)).toEqual([]);
  });
}
