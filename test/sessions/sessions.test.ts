/**
 * The Sessions API through the real app, with the real task lifecycle
 * workflow: start, complete, fail, who may do what, bad bodies, other
 * tenants, and a session completed after its task's workflow was terminated.
 * The post-session pipeline is not asserted on: it is another module's.
 */
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { taskWorkflowId } from '../../domain/ids';
import { PIPELINE_STATES } from '../../domain/session';
import { expectError } from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from '../helpers/harness';
import { SESSION_ROUTES, type SessionBody, sessionApi, sessionRow } from '../helpers/session-api';
import { type Json, addUser, eventsOf } from '../helpers/task-api';

let h: Harness;
let api: ReturnType<typeof sessionApi>;
let t: TenantFixture;

beforeAll(async () => {
  h = await startHarness();
  api = sessionApi(h);
  t = await createTenantFixture(h.sql, 'Sessions');
});
afterAll(() => h.stop());

/**
 * What the device reported and the session's status: the fields the
 * pipeline, which starts on completion and runs on its own, leaves alone.
 */
function reported({ pipeline: _p, summary: _s, procedures: _pr, writebacks: _w, recording: _r, ...rest }: SessionBody) {
  return rest;
}

const sessionsOf = (taskId: string) =>
  h.sql<{ id: string; status: string }[]>`SELECT id, status FROM sessions WHERE task_id = ${taskId} ORDER BY started_at`;

describe('starting a session', () => {
  test('the task goes In Progress with the session linked; the session is running and the engineer its own', async () => {
    const task = await api.assignedTask(t);
    const session: SessionBody = (await api.start(t.engineer.auth, task.id)).json();
    expect(session).toMatchObject({
      taskId: task.id,
      status: 'running',
      engineer: { id: t.engineer.id, name: 'Eddie Engineer' },
      endedAt: null,
      recording: null,
      thumbnailUrl: null,
      pipeline: { state: null, skipped: [] },
      writebacks: [],
    });

    const detail = await api.tasks.get(t.admin.auth, task.id);
    expect(detail).toMatchObject({ status: 'in_progress', sessionBadge: 'in_progress', completionSource: null });
    expect(detail.session).toMatchObject({ id: session.id, status: 'running', url: `/v1/sessions/${session.id}` });
    const list = await api.tasks.list(t.admin.auth, { tab: 'in_progress' });
    expect(list.items.find((i) => i.id === task.id)).toMatchObject({ sessionBadge: 'in_progress' });
    expect((await eventsOf(h, task.id)).map((e) => [e.type, e.actorKind, e.actorId])).toEqual([
      ['task.created', 'user', t.admin.id],
      ['session.started', 'user', t.engineer.id],
    ]);
  });

  test('a second session on the same task is 409, and only the first exists', async () => {
    const first = await api.started(t);
    const second = await api.start(t.admin.auth, first.taskId, 409);
    expectError(second, 409, 'invalid_transition', /already running/);
    expect(await sessionsOf(first.taskId)).toEqual([{ id: first.id, status: 'running' }]);
  });

  test('a start repeated with the device-chosen id (a lost answer) is 200 with the same session; that id on another task is 409', async () => {
    const task = await api.assignedTask(t);
    const id = randomUUID();
    const first: SessionBody = (await api.start(t.engineer.auth, task.id, 201, id)).json();
    expect(first).toMatchObject({ id, taskId: task.id, status: 'running' });
    const again: SessionBody = (await api.start(t.engineer.auth, task.id, 200, id)).json();
    expect(again).toMatchObject({ id, taskId: task.id, status: 'running' });
    expect(await sessionsOf(task.id)).toEqual([{ id, status: 'running' }]);
    expect((await eventsOf(h, task.id)).filter((e) => e.type === 'session.started')).toHaveLength(1);

    const other = await api.assignedTask(t);
    expectError(await api.start(t.engineer.auth, other.id, 409, id), 409, 'session_id_taken', /belongs to another session/);
    expect(await sessionsOf(other.id)).toEqual([]);
    expect((await api.tasks.get(t.admin.auth, other.id)).status).toBe('open');
  });

  test("another tenant's session id cannot be taken over: 409, and the task stays open", async () => {
    const mine = await api.started(t);
    const other = await createTenantFixture(h.sql, 'Other');
    const theirs = await api.tasks.create(other.admin.auth, { title: 'Theirs' });
    expectError(await api.start(other.admin.auth, theirs.id, 409, mine.id), 409, 'invalid_transition', /belongs to another session/);
    expect((await api.tasks.get(other.admin.auth, theirs.id)).status).toBe('open');
    expect(await sessionsOf(theirs.id)).toEqual([]);
  });

  test('an engineer not assigned to the task gets 403 (they can see it); a private task they cannot see is 404', async () => {
    const other = await addUser(h, t.tenantId, 'Other Engineer');
    const task = await api.assignedTask(t);
    expectError(await api.start(other.auth, task.id, 403), 403, 'forbidden', /assignee/);
    const hidden = await api.assignedTask(t, { private: true });
    expectError(await api.start(other.auth, hidden.id, 404), 404, 'not_found');
    expect([...(await sessionsOf(task.id)), ...(await sessionsOf(hidden.id))]).toEqual([]);
    expect((await api.tasks.get(t.admin.auth, task.id)).status).toBe('open');
  });

  test('an admin and an API key may start a session on any task; the API key has no engineer', async () => {
    const unassigned = await api.tasks.create(t.admin.auth, { title: 'Nobody on it' });
    const byAdmin: SessionBody = (await api.start(t.admin.auth, unassigned.id)).json();
    expect(byAdmin.engineer).toEqual({ id: t.admin.id, name: 'Ada Admin' });
    const other = await api.tasks.create(t.admin.auth, { title: 'Nobody on it either' });
    const byKey: SessionBody = (await api.start(t.apiKey.auth, other.id)).json();
    expect(byKey.engineer).toBeNull();
  });

  test('a completed task cannot start a session (409), an unknown task is 404', async () => {
    const task = await api.tasks.taskIn(t, 'completed', { assigneeIds: [t.engineer.id] });
    expectError(await api.start(t.engineer.auth, task.id, 409), 409, 'invalid_transition', /completed task cannot start a session/);
    expectError(await api.start(t.engineer.auth, '00000000-0000-4000-8000-000000000000', 404), 404, 'not_found');
  });
});

describe('completing a session', () => {
  const outcome = { score: 88, durationSeconds: 1500, stepsCompleted: 6, toolsUsed: ['multimeter', 'crimper'], notes: 'Replaced the fuse.', transcript: 'ok' };

  test('the task is completed with source session (Session ✓); the session shows its metrics and that its pipeline started', async () => {
    const session = await api.started(t);
    const done: SessionBody = (await api.complete(t.engineer.auth, session.id, outcome)).json();
    const { transcript: _, ...shown } = outcome;
    expect(done).toMatchObject({ id: session.id, status: 'completed', endedAt: expect.any(String), ...shown });
    expect(done).not.toHaveProperty('transcript');
    // Where the pipeline stands is its own business; that it stands somewhere is ours.
    expect(PIPELINE_STATES).toContain((done.pipeline as { state: string }).state);
    expect(reported(await api.get(t.engineer.auth, session.id))).toEqual(reported(done));

    const detail = await api.tasks.get(t.admin.auth, session.taskId);
    expect(detail).toMatchObject({ status: 'completed', completionSource: 'session', sessionBadge: 'session' });
    expect(detail.session).toMatchObject({
      id: session.id,
      status: 'completed',
      durationSeconds: 1500,
      stepsCompleted: 6,
      toolsUsed: ['multimeter', 'crimper'],
      notes: 'Replaced the fuse.',
      score: 88,
      thumbnailUrl: null,
      url: `/v1/sessions/${session.id}`,
    });
    const [stored] = await h.sql<{ transcript: string }[]>`SELECT transcript FROM sessions WHERE id = ${session.id}`;
    expect(stored!.transcript).toBe('ok');
  });

  test('completing twice answers 200 both times and records one task.completed; the second body changes nothing', async () => {
    const session = await api.started(t);
    const first = (await api.complete(t.engineer.auth, session.id, outcome)).json();
    const again = (await api.complete(t.engineer.auth, session.id, { score: 1, notes: 'changed my mind' })).json();
    expect(reported(again)).toEqual(reported(first));
    const types = (await eventsOf(h, session.taskId)).map((e) => e.type);
    expect(types.filter((type) => type === 'task.completed')).toHaveLength(1);
  });

  test('two concurrent completes are one update: both answer 200, one event', async () => {
    const session = await api.started(t);
    const [a, b] = await Promise.all([api.complete(t.engineer.auth, session.id, outcome), api.complete(t.engineer.auth, session.id, outcome)]);
    expect(a.json().status).toBe('completed');
    expect(b.json().status).toBe('completed');
    expect((await eventsOf(h, session.taskId)).filter((e) => e.type === 'task.completed')).toHaveLength(1);
  });

  test('no body at all is an empty outcome', async () => {
    const session = await api.started(t);
    const done: SessionBody = (await api.complete(t.engineer.auth, session.id)).json();
    expect(done).toMatchObject({ status: 'completed', score: null, durationSeconds: null, toolsUsed: [], notes: null });
  });

  test('a session the task was closed under ends without reopening or re-completing the task', async () => {
    const session = await api.started(t);
    await api.tasks.command(t.admin.auth, session.taskId, 'complete');
    await api.complete(t.engineer.auth, session.id, outcome);
    expect(await api.tasks.get(t.admin.auth, session.taskId)).toMatchObject({ status: 'completed', completionSource: 'manual' });
  });
});

describe('failing a session', () => {
  test('the task goes back to open and its failed sessions list the attempt with its reason and times', async () => {
    const session = await api.started(t);
    const failed: SessionBody = (await api.fail(t.engineer.auth, session.id, 'The customer was not on site.')).json();
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'The customer was not on site.', endedAt: expect.any(String) });

    const detail = await api.tasks.get(t.admin.auth, session.taskId);
    expect(detail).toMatchObject({ status: 'open', sessionBadge: 'none', session: null });
    expect(detail.failedSessions).toEqual([
      { id: session.id, startedAt: failed.startedAt, failedAt: failed.endedAt, reason: 'The customer was not on site.' },
    ]);
    expect((await eventsOf(h, session.taskId)).map((e) => e.type)).toEqual(['task.created', 'session.started', 'session.failed']);

    // A new attempt may start on the reopened task.
    expect((await api.start(t.engineer.auth, session.taskId)).json()).toMatchObject({ status: 'running' });
  });

  test('failing twice is harmless; a failed session cannot be completed, a completed one cannot fail', async () => {
    const session = await api.started(t);
    const first = (await api.fail(t.engineer.auth, session.id, 'battery died')).json();
    expect((await api.fail(t.engineer.auth, session.id, 'another reason')).json()).toEqual(first);
    expectError(await api.complete(t.engineer.auth, session.id, {}, 409), 409, 'invalid_transition', /session is failed/);

    const done = await api.started(t);
    await api.complete(t.engineer.auth, done.id, {});
    expectError(await api.fail(t.engineer.auth, done.id, 'too late', 409), 409, 'invalid_transition', /completed/);
    expect((await sessionRow(h, done.id)).status).toBe('completed');
  });
});

describe('heartbeat', () => {
  test('moves last_seen_at while running; 409 once the session ended', async () => {
    const session = await api.started(t);
    const before = (await sessionRow(h, session.id)).lastSeenAt;
    await api.heartbeat(t.engineer.auth, session.id);
    expect((await sessionRow(h, session.id)).lastSeenAt.getTime()).toBeGreaterThan(before.getTime());
    await api.complete(t.engineer.auth, session.id, {});
    expectError(await api.heartbeat(t.engineer.auth, session.id, 409), 409, 'invalid_transition', /completed, not running/);
  });
});

describe('whose session', () => {
  test("an engineer cannot see or end another engineer's session (404); admins and API keys can", async () => {
    const session = await api.started(t);
    const other = await addUser(h, t.tenantId, 'Other Engineer');
    for (const [method, path, payload] of [
      ['GET', '', undefined],
      ['POST', '/complete', {}],
      ['POST', '/fail', { reason: 'no' }],
      ['POST', '/heartbeat', undefined],
    ] as const) {
      expectError(await api.send(method, `/v1/sessions/${session.id}${path}`, other.auth, 404, payload), 404, 'not_found');
    }
    expect((await sessionRow(h, session.id)).status).toBe('running');
    expect((await api.get(t.admin.auth, session.id)).id).toBe(session.id);
    expect((await api.get(t.apiKey.auth, session.id)).id).toBe(session.id);
    expect((await api.fail(t.admin.auth, session.id, 'stopped by the office')).json()).toMatchObject({ status: 'failed' });
  });
});

describe('bad input', () => {
  // (Fastify coerces scalars as usual: "multimeter" becomes ["multimeter"], 42 becomes "42".)
  const BAD_COMPLETE: [string, Json, string][] = [
    ['score above 100', { score: 101 }, 'body.score'],
    ['negative score', { score: -1 }, 'body.score'],
    ['fractional score', { score: 1.5 }, 'body.score'],
    ['negative duration', { durationSeconds: -5 }, 'body.durationSeconds'],
    ['duration past integer', { durationSeconds: 3_000_000_000 }, 'body.durationSeconds'],
    ['steps as words', { stepsCompleted: 'seven' }, 'body.stepsCompleted'],
    ['tools as an object', { toolsUsed: { a: 'multimeter' } }, 'body.toolsUsed'],
    ['an empty tool', { toolsUsed: [''] }, 'body.toolsUsed.0'],
    ['101 tools', { toolsUsed: Array.from({ length: 101 }, (_, i) => `tool ${i}`) }, 'body.toolsUsed'],
    ['notes over 20,000 characters', { notes: 'x'.repeat(20_001) }, 'body.notes'],
    ['a NUL in notes', { notes: 'nul \u0000 byte' }, 'body.notes'],
    ['a transcript object', { transcript: { text: 'hi' } }, 'body.transcript'],
    ['an unknown field', { colour: 'blue' }, 'body.colour'],
    // A JSON body is typed: nothing is coerced (query strings are).
    ['one tool, not a list', { toolsUsed: 'multimeter' }, 'body.toolsUsed'],
    ['a score as text', { score: '90' }, 'body.score'],
    ['a number for notes', { notes: 42 }, 'body.notes'],
    ['a null transcript', { transcript: null }, 'body.transcript'],
  ];

  test.each(BAD_COMPLETE)('complete with %s → 400; the session stays running', async (_label, body, path) => {
    const session = await api.started(t);
    const res = await api.complete(t.engineer.auth, session.id, body, 400);
    expectError(res, 400, 'validation_failed');
    expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await sessionRow(h, session.id)).status).toBe('running');
  });

  test.each<[string, Json, string]>([
    ['no reason', {}, 'body.reason'],
    ['an empty reason', { reason: '' }, 'body.reason'],
    ['a blank reason', { reason: '   ' }, 'body.reason'],
    ['a reason over 2,000 characters', { reason: 'x'.repeat(2001) }, 'body.reason'],
    ['an unknown field', { reason: 'ok', extra: 1 }, 'body.extra'],
  ])('fail with %s → 400', async (_label, body, path) => {
    const session = await api.started(t);
    const res = await api.send('POST', `/v1/sessions/${session.id}/fail`, t.engineer.auth, 400, body);
    expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await sessionRow(h, session.id)).status).toBe('running');
  });

  test('start: a missing, malformed or extra field is 400; malformed JSON is 400; a bad session id is 400', async () => {
    for (const [body, path] of [
      [{}, 'body.taskId'],
      [{ taskId: 'not-a-uuid' }, 'body.taskId'],
      [{ taskId: '00000000-0000-4000-8000-000000000000', engineerId: 'x' }, 'body.engineerId'],
    ] as const) {
      const res = await api.send('POST', '/v1/sessions', t.engineer.auth, 400, body);
      expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const broken = await h.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { ...t.engineer.auth, 'content-type': 'application/json' },
      payload: '{"taskId": ',
    });
    expectError(broken, 400, 'bad_request', /JSON/);
    expectError(await api.send('GET', '/v1/sessions/nope', t.engineer.auth, 400), 400, 'validation_failed');
  });
});

describe('every route at its edges', () => {
  let other: TenantFixture;
  let session: SessionBody;
  beforeAll(async () => {
    other = await createTenantFixture(h.sql, 'Other');
    session = await api.started(t);
  });

  const requestFor = (route: string, id: string): InjectOptions => {
    const [method, pattern] = route.split(' ') as ['GET' | 'POST' | 'PUT', string];
    const url = pattern.replace(':id', id);
    if (route === 'POST /v1/sessions') return { method, url, payload: { taskId: session.taskId } };
    if (route.endsWith('/fail')) return { method, url, payload: { reason: 'planted' } };
    if (route.endsWith('/complete')) return { method, url, payload: {} };
    if (route.startsWith('PUT')) return { method, url, payload: Buffer.from('planted'), headers: { 'content-type': route.endsWith('recording') ? 'video/mp4' : 'image/png' } };
    return { method, url };
  };
  const authenticated = SESSION_ROUTES.filter((r) => !r.includes('/recordings/'));

  test.each(authenticated)("%s: another tenant's admin gets 404, and the session is untouched", async (route) => {
    const before = await sessionRow(h, session.id);
    const req = requestFor(route, session.id);
    const res = await h.app.inject({ ...req, headers: { ...req.headers, ...other.admin.auth } });
    expectError(res, 404, 'not_found');
    expect(await sessionRow(h, session.id)).toEqual(before);
  });

  test.each(authenticated)('%s: no token gets 401', async (route) => {
    expectError(await h.app.inject(requestFor(route, session.id)), 401, 'unauthorized');
    expect((await sessionRow(h, session.id)).status).toBe('running');
  });
});

test('a session completes even after its task workflow was terminated: the command starts it again from the row', async () => {
  const session = await api.started(t);
  const handle = h.client.workflow.getHandle(taskWorkflowId(session.taskId));
  const terminated = (await handle.describe()).runId;
  await handle.terminate('operator');
  const done: SessionBody = (await api.complete(t.engineer.auth, session.id, { score: 70 })).json();
  expect(done).toMatchObject({ status: 'completed', score: 70 });
  expect((await handle.describe()).runId).not.toBe(terminated);
  expect(await api.tasks.get(t.admin.auth, session.taskId)).toMatchObject({ status: 'completed', completionSource: 'session', sessionBadge: 'session' });
});
