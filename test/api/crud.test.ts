/**
 * Creating, reading, editing and deleting tasks; the lifecycle routes and who
 * may use them; batch creation and bulk actions with Idempotency-Key; and the
 * task_events audit trail.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { taskBlobPrefix } from '../../blob/blob-store';
import { createUser } from '../../db/repositories/accounts';
import { type Harness, type TenantFixture, createTenantFixture, eventually, firstRow, startHarness } from '../helpers/harness';
import { type Json, type Row, addUser, apiKeyId, countRows, eventsOf, ids, sorted, taskApi } from '../helpers/task-api';

let h: Harness;
let api: ReturnType<typeof taskApi>;
beforeAll(async () => {
  h = await startHarness();
  api = taskApi(h);
});
afterAll(() => h.stop());

let t: TenantFixture;
beforeEach(async () => {
  t = await createTenantFixture(h.sql);
});

const email = expect.stringContaining('@t.test');

/** A customer, a project and one of its milestones, for the task's optional links. */
async function links(tenantId: string) {
  const customer = await firstRow(h.sql<{ id: string }[]>`INSERT INTO customers (tenant_id, name) VALUES (${tenantId}, 'Mrs Smith') RETURNING id`);
  const project = await firstRow(h.sql<{ id: string }[]>`INSERT INTO projects (tenant_id, name) VALUES (${tenantId}, 'Refit') RETURNING id`);
  const milestone = await firstRow(
    h.sql<{ id: string }[]>`INSERT INTO milestones (tenant_id, project_id, name) VALUES (${tenantId}, ${project.id}, 'Phase 1') RETURNING id`,
  );
  return { customerId: customer.id, projectId: project.id, milestoneId: milestone.id };
}

async function workflowStatus(taskId: string): Promise<string> {
  return (await h.client.workflow.getHandle(`task/${taskId}`).describe()).status.name;
}

async function statusOf(id: string): Promise<string> {
  return (await api.get(t.admin.auth, id)).status;
}

/** Expects a 409 invalid_transition with exactly this reason. */
async function expectRefused(auth: { authorization: string }, id: string, action: string, reason: string, body?: Json) {
  const res = await api.command(auth, id, action, body, 409);
  expect(res.json()).toMatchObject({ error: 'invalid_transition', message: reason });
}

describe('POST /v1/tasks and GET /v1/tasks/:id', () => {
  test('creates a task with every field; medium priority by default; the detail has no attachments or sessions yet', async () => {
    const zed = await addUser(h, t.tenantId, 'Zed Zebra');
    const linked = await links(t.tenantId);
    const body = {
      title: 'Boiler service',
      description: 'Annual service; the side gate code is 1234',
      dueAt: '2030-05-01T09:30:00Z',
      assigneeIds: [zed.id, t.engineer.id, t.admin.id],
      tags: ['gas', 'annual'],
      private: true,
      ...linked,
    };
    const res = await api.send('POST', '/v1/tasks', t.admin.auth, 201, { payload: body });
    const task = res.json();
    expect(task).toMatchObject({
      id: expect.any(String),
      title: 'Boiler service',
      description: 'Annual service; the side gate code is 1234',
      status: 'open',
      priority: 'medium',
      dueAt: '2030-05-01T09:30:00.000Z',
      overdue: false,
      assignees: [
        { id: t.admin.id, name: 'Ada Admin', email },
        { id: t.engineer.id, name: 'Eddie Engineer', email },
        { id: zed.id, name: 'Zed Zebra', email },
      ],
      sessionBadge: 'none',
      source: { type: 'manual', provider: null, integrationId: null, externalJobId: null },
      completionSource: null,
      completedAt: null,
      private: true,
      tags: ['gas', 'annual'],
      ...linked,
      createdBy: t.admin.id,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      attachments: [],
      session: null,
      failedSessions: [],
    });
    expect(await api.get(t.admin.auth, task.id)).toEqual(task);
    // Private: its assignees see it; another engineer does not.
    expect((await api.get(t.engineer.auth, task.id)).id).toBe(task.id);
    const other = await addUser(h, t.tenantId, 'Olive Other');
    await api.send('GET', `/v1/tasks/${task.id}`, other.auth, 404);
    expect(await workflowStatus(task.id)).toBe('RUNNING');

    const minimal = await api.create(t.admin.auth, { title: 'Minimal' });
    expect(minimal).toMatchObject({ priority: 'medium', description: '', dueAt: null, assignees: [], tags: [], private: false });
  });

  test('refuses bad bodies, unknown references and engineers, and creates nothing then', async () => {
    const bad = async (body: Json, error: string, auth = t.admin.auth, status = 400) =>
      expect((await api.send('POST', '/v1/tasks', auth, status, { payload: body })).json()).toMatchObject({ error });
    await bad({ description: 'no title' }, 'validation_failed');
    await bad({ title: '   ' }, 'validation_failed');
    await bad({ title: 'x', color: 'red' }, 'validation_failed');
    await bad({ title: 'x', priority: 'critical' }, 'validation_failed');
    await bad({ title: 'x', dueAt: 'tomorrow' }, 'validation_failed');
    await bad({ title: 'x', customerId: randomUUID() }, 'unknown_reference');
    const stranger = await createTenantFixture(h.sql, 'Stranger');
    const res = await api.send('POST', '/v1/tasks', t.admin.auth, 400, {
      payload: { title: 'x', assigneeIds: [t.engineer.id, stranger.engineer.id] },
    });
    expect(res.json()).toMatchObject({
      error: 'unknown_reference',
      details: [{ path: 'body.assigneeIds.1', message: `no user ${stranger.engineer.id} in this tenant` }],
    });
    await bad({ title: 'x' }, 'forbidden', t.engineer.auth, 403);
    await api.send('POST', '/v1/tasks', { authorization: 'Bearer nope' }, 401, { payload: { title: 'x' } });
    expect(await countRows(h, 'tasks', t.tenantId)).toBe(0);
    expect(await countRows(h, 'task_events', t.tenantId)).toBe(0);
  });

  test('the detail lists attachments, the linked session and the failed sessions', async () => {
    const task = await api.create(t.admin.auth, { title: 'With history' });
    const upload = await api.upload(t.admin.auth, task.id, [
      { name: 'notes.txt', content: Buffer.from('hello') },
      { name: 'wiring.txt', content: Buffer.from('live, neutral, earth') },
    ]);
    const uploaded = upload.json().attachments;
    await h.sql`
      INSERT INTO sessions (tenant_id, task_id, engineer_id, status, started_at, ended_at, failure_reason, duration_seconds, steps_completed, tools_used, notes)
      VALUES
        (${t.tenantId}, ${task.id}, ${t.engineer.id}, 'failed', '2026-01-01T09:00:00Z', '2026-01-01T09:05:00Z', 'glasses battery died', null, null, '{}', null),
        (${t.tenantId}, ${task.id}, ${t.engineer.id}, 'abandoned', '2026-01-02T09:00:00Z', null, null, null, null, '{}', null),
        (${t.tenantId}, ${task.id}, ${t.engineer.id}, 'completed', '2026-01-03T09:00:00Z', '2026-01-03T10:00:00Z', null, 3600, 7, '{multimeter}', 'all good')`;

    const detail = await api.get(t.admin.auth, task.id);
    const files = [...(detail.attachments as { filename: string }[])].sort((x, y) => x.filename.localeCompare(y.filename));
    expect(files).toEqual([
      {
        id: uploaded[0].id,
        filename: 'notes.txt',
        contentType: 'text/plain',
        sizeBytes: 5,
        sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
        url: `/v1/tasks/${task.id}/attachments/${uploaded[0].id}`,
        createdAt: expect.any(String),
      },
      expect.objectContaining({ id: uploaded[1].id, filename: 'wiring.txt', sizeBytes: 20 }),
    ]);
    expect(detail.session).toMatchObject({
      status: 'completed',
      engineerId: t.engineer.id,
      durationSeconds: 3600,
      stepsCompleted: 7,
      toolsUsed: ['multimeter'],
      notes: 'all good',
      url: expect.stringMatching(/^\/v1\/sessions\//),
    });
    expect(detail.failedSessions).toEqual([
      { id: expect.any(String), startedAt: '2026-01-02T09:00:00.000Z', failedAt: null, reason: null },
      { id: expect.any(String), startedAt: '2026-01-01T09:00:00.000Z', failedAt: '2026-01-01T09:05:00.000Z', reason: 'glasses battery died' },
    ]);

    await api.send('GET', `/v1/tasks/${randomUUID()}`, t.admin.auth, 404);
    await api.send('GET', '/v1/tasks/not-a-uuid', t.admin.auth, 400);
  });
});

describe('PATCH /v1/tasks/:id', () => {
  test('edits only what is given, replaces assignees, clears the due date with null, and records who did it', async () => {
    const zed = await addUser(h, t.tenantId, 'Zed Zebra');
    const task = await api.create(t.admin.auth, {
      title: 'Boiler service',
      description: 'Annual',
      priority: 'high',
      dueAt: '2030-05-01T09:30:00Z',
      assigneeIds: [t.engineer.id, zed.id],
      tags: ['gas'],
    });
    const unchanged = (x: Row, but: string[]) => {
      const keep = ['title', 'description', 'priority', 'dueAt', 'assignees', 'tags', 'private', 'createdAt', 'status'];
      for (const k of keep.filter((k) => !but.includes(k))) expect([k, x[k]]).toEqual([k, task[k]]);
    };

    const p1 = await api.patch(t.admin.auth, task.id, { priority: 'urgent' });
    expect(p1.priority).toBe('urgent');
    unchanged(p1, ['priority']);
    expect(Date.parse(p1.updatedAt as string)).toBeGreaterThanOrEqual(Date.parse(task.updatedAt as string));

    const p2 = await api.patch(t.admin.auth, task.id, { assigneeIds: [t.admin.id] });
    expect(p2.assignees).toEqual([{ id: t.admin.id, name: 'Ada Admin', email }]);
    expect(p2.priority).toBe('urgent');

    const p3 = await api.patch(t.admin.auth, task.id, { dueAt: null });
    expect(p3.dueAt).toBeNull();
    expect(p3.assignees).toEqual(p2.assignees);

    const p4 = await api.patch(t.admin.auth, task.id, { title: 'Boiler repair', description: '', tags: [], private: true, assigneeIds: [] });
    expect(p4).toMatchObject({ title: 'Boiler repair', description: '', tags: [], private: true, assignees: [], priority: 'urgent', dueAt: null });
    expect(await api.get(t.admin.auth, task.id)).toEqual(p4);

    // Each event holds at least the edit as sent (derived fields may join it).
    const updates = (await eventsOf(h, task.id)).filter((e) => e.type === 'task.updated');
    expect(updates).toMatchObject([
      { type: 'task.updated', actorKind: 'user', actorId: t.admin.id, data: { priority: 'urgent' } },
      { type: 'task.updated', actorKind: 'user', actorId: t.admin.id, data: { assigneeIds: [t.admin.id] } },
      { type: 'task.updated', actorKind: 'user', actorId: t.admin.id, data: { dueAt: null } },
      {
        type: 'task.updated',
        actorKind: 'user',
        actorId: t.admin.id,
        data: { title: 'Boiler repair', description: '', tags: [], private: true, assigneeIds: [] },
      },
    ]);
  });

  test('refuses engineers, empty and invalid edits, unknown assignees and unknown tasks, changing nothing', async () => {
    const task = await api.create(t.admin.auth, { title: 'Keep me', assigneeIds: [t.engineer.id] });
    const patch = (auth: { authorization: string }, body: Json, status: number, id = task.id) =>
      api.send('PATCH', `/v1/tasks/${id}`, auth, status, { payload: body });
    await patch(t.engineer.auth, { title: 'Mine now' }, 403);
    await patch(t.apiKey.auth, { title: 'Mine now' }, 403);
    await patch(t.admin.auth, {}, 400);
    await patch(t.admin.auth, { title: '' }, 400);
    await patch(t.admin.auth, { status: 'completed' }, 400);
    const unknown = await patch(t.admin.auth, { title: 'Changed', assigneeIds: [randomUUID()] }, 400);
    expect(unknown.json()).toMatchObject({ error: 'unknown_reference', details: [{ path: 'body.assigneeIds.0' }] });
    await patch(t.admin.auth, { title: 'Nope' }, 404, randomUUID());
    const other = await createTenantFixture(h.sql, 'Other');
    await patch(other.admin.auth, { title: 'Stolen' }, 404);

    expect(await api.get(t.admin.auth, task.id)).toMatchObject({ title: 'Keep me', assignees: [{ id: t.engineer.id }] });
    expect((await eventsOf(h, task.id)).map((e) => e.type)).toEqual(['task.created']);
  });
});

describe('DELETE /v1/tasks/:id', () => {
  test('removes the task, its attachments and their files, its events, and ends its workflow; a second DELETE is 404', async () => {
    const task = await api.create(t.admin.auth, { title: 'Doomed', assigneeIds: [t.engineer.id], tags: ['x'] });
    const keep = await api.create(t.admin.auth, { title: 'Survivor' });
    const [attachment] = (await api.upload(t.admin.auth, task.id, [{ name: 'a.txt', content: Buffer.from('bytes') }])).json().attachments;
    await api.command(t.admin.auth, task.id, 'complete');
    const dir = path.join(h.config.blobDir, taskBlobPrefix(t.tenantId, task.id));
    expect(existsSync(path.join(dir, 'attachments', attachment.id))).toBe(true);

    await api.send('DELETE', `/v1/tasks/${task.id}`, t.engineer.auth, 403);
    await api.send('DELETE', `/v1/tasks/${task.id}`, t.apiKey.auth, 403);
    const res = await api.send('DELETE', `/v1/tasks/${task.id}`, t.admin.auth, 204);
    expect(res.body).toBe('');

    await api.send('GET', `/v1/tasks/${task.id}`, t.admin.auth, 404);
    await api.send('GET', attachment.url, t.admin.auth, 404);
    expect(existsSync(dir)).toBe(false);
    const [left] = await h.sql<{ tasks: number; attachments: number; events: number; assignees: number }[]>`
      SELECT (SELECT count(*)::int FROM tasks WHERE id = ${task.id}) AS tasks,
             (SELECT count(*)::int FROM attachments WHERE task_id = ${task.id}) AS attachments,
             (SELECT count(*)::int FROM task_events WHERE task_id = ${task.id}) AS events,
             (SELECT count(*)::int FROM task_assignees WHERE task_id = ${task.id}) AS assignees`;
    expect(left).toEqual({ tasks: 0, attachments: 0, events: 0, assignees: 0 });
    await eventually(async () => (await workflowStatus(task.id)) === 'COMPLETED');

    expect((await api.send('DELETE', `/v1/tasks/${task.id}`, t.admin.auth, 404)).json()).toMatchObject({ error: 'not_found' });
    expect(ids((await api.list(t.admin.auth)).items)).toEqual([keep.id]);
    expect(await workflowStatus(keep.id)).toBe('RUNNING');
  });
});

describe('lifecycle routes', () => {
  test('status moves open → in progress → waiting; status completed completes; reopen, archive and cancel', async () => {
    const task = await api.create(t.admin.auth, { title: 'Moves' });
    const move = async (action: string, body?: Json) => (await api.command(t.admin.auth, task.id, action, body)).json();

    expect(await move('status', { status: 'in_progress' })).toMatchObject({ status: 'in_progress', completionSource: null });
    expect(await move('status', { status: 'waiting' })).toMatchObject({ status: 'waiting' });
    const done = await move('status', { status: 'completed' });
    expect(done).toMatchObject({ status: 'completed', completionSource: 'manual', sessionBadge: 'manual', completedAt: expect.any(String) });
    expect(await move('reopen')).toMatchObject({ status: 'open', completionSource: null, completedAt: null, sessionBadge: 'none' });
    expect(await move('archive')).toMatchObject({ status: 'archived' });
    expect(await move('reopen')).toMatchObject({ status: 'open' });
    expect(await move('cancel')).toMatchObject({ status: 'cancelled', sessionBadge: 'none' });
    // A Kanban drag out of the Cancelled column reopens the task there.
    expect(await move('status', { status: 'waiting' })).toMatchObject({ status: 'waiting' });
    expect(await move('status', { status: 'cancelled' })).toMatchObject({ status: 'cancelled' });
    expect(await move('reopen')).toMatchObject({ status: 'open' });
    // Moving to the status the task already has changes nothing and records nothing.
    const before = (await eventsOf(h, task.id)).length;
    expect(await move('status', { status: 'open' })).toMatchObject({ status: 'open' });
    expect(await eventsOf(h, task.id)).toHaveLength(before);

    expect((await eventsOf(h, task.id)).map((e) => [e.type, e.data.from, e.data.to])).toEqual([
      ['task.created', undefined, undefined],
      ['task.status_changed', 'open', 'in_progress'],
      ['task.status_changed', 'in_progress', 'waiting'],
      ['task.completed', 'waiting', 'completed'],
      ['task.reopened', 'completed', 'open'],
      ['task.archived', 'open', 'archived'],
      ['task.reopened', 'archived', 'open'],
      ['task.cancelled', 'open', 'cancelled'],
      ['task.status_changed', 'cancelled', 'waiting'],
      ['task.cancelled', 'waiting', 'cancelled'],
      ['task.reopened', 'cancelled', 'open'],
    ]);
  });

  test('invalid transitions are 409 with the reason and change nothing', async () => {
    const open = await api.taskIn(t, 'open');
    const completed = await api.taskIn(t, 'completed');
    const cancelled = await api.taskIn(t, 'cancelled');
    const archived = await api.taskIn(t, 'archived');
    const eventCount = await countRows(h, 'task_events', t.tenantId);

    await expectRefused(t.admin.auth, open.id, 'reopen', 'task is open, not closed; nothing to reopen');
    await expectRefused(t.admin.auth, completed.id, 'complete', 'task is already completed');
    await expectRefused(t.admin.auth, completed.id, 'status', 'task is already completed', { status: 'completed' });
    await expectRefused(t.admin.auth, completed.id, 'cancel', 'a completed task cannot be cancelled; reopen it first');
    await expectRefused(t.admin.auth, cancelled.id, 'cancel', 'task is already cancelled');
    await expectRefused(t.admin.auth, cancelled.id, 'complete', 'a cancelled task cannot be completed; reopen it first');
    await expectRefused(t.admin.auth, archived.id, 'archive', 'task is already archived');
    await expectRefused(t.admin.auth, archived.id, 'status', 'an archived task cannot be moved; reopen it first', { status: 'in_progress' });
    const archivedComplete = await api.command(t.admin.auth, archived.id, 'complete', undefined, 409);
    expect(archivedComplete.json().message).toMatch(/archived task cannot be completed; reopen it first$/);

    expect(await Promise.all([open, completed, cancelled, archived].map((x) => statusOf(x.id)))).toEqual([
      'open',
      'completed',
      'cancelled',
      'archived',
    ]);
    expect(await countRows(h, 'task_events', t.tenantId)).toBe(eventCount);
    await api.command(t.admin.auth, randomUUID(), 'complete', undefined, 404);
    await api.command(t.admin.auth, open.id, 'status', { status: 'done' }, 400);
  });

  test('an assigned engineer may complete, reopen and move the task, but not archive or cancel it', async () => {
    const task = await api.create(t.admin.auth, { title: 'Eddie job', assigneeIds: [t.engineer.id] });
    const notTheirs = await api.create(t.admin.auth, { title: 'Someone else', assigneeIds: [t.admin.id] });
    const eng = (id: string, action: string, expected: number, body?: Json) => api.command(t.engineer.auth, id, action, body, expected);

    expect((await eng(task.id, 'status', 200, { status: 'in_progress' })).json().status).toBe('in_progress');
    expect((await eng(task.id, 'complete', 200)).json()).toMatchObject({ status: 'completed', completionSource: 'manual' });
    expect((await eng(task.id, 'reopen', 200)).json().status).toBe('open');
    expect((await eng(task.id, 'status', 200, { status: 'completed' })).json().status).toBe('completed');
    expect((await eng(task.id, 'status', 200, { status: 'waiting' })).json().status).toBe('waiting');
    for (const action of ['archive', 'cancel']) {
      expect((await eng(task.id, action, 403)).json()).toMatchObject({ error: 'forbidden', message: 'only a tenant admin may do this' });
    }
    await eng(task.id, 'status', 403, { status: 'cancelled' });
    expect(await statusOf(task.id)).toBe('waiting');

    for (const action of ['complete', 'reopen', 'archive']) await eng(notTheirs.id, action, 403);
    await eng(notTheirs.id, 'status', 403, { status: 'in_progress' });
    expect(await statusOf(notTheirs.id)).toBe('open');

    const actors = (await eventsOf(h, task.id)).slice(1).map((e) => [e.type, e.actorKind, e.actorId]);
    expect(actors).toEqual([
      ['task.status_changed', 'user', t.engineer.id],
      ['task.completed', 'user', t.engineer.id],
      ['task.reopened', 'user', t.engineer.id],
      ['task.completed', 'user', t.engineer.id],
      ['task.status_changed', 'user', t.engineer.id],
    ]);
  });
});

describe('POST /v1/tasks/batch', () => {
  test("an API key's batch of 1000 tasks with 50 assignees each creates them all with source api; 1001 is refused", async () => {
    const crew = await Promise.all(
      Array.from({ length: 49 }, (_, i) => createUser(h.sql, t.tenantId, { email: `crew-${i}-${randomUUID()}@t.test`, name: `Crew ${i}`, role: 'engineer' })),
    );
    const assigneeIds = [t.engineer.id, ...ids(crew)];
    const tasks = Array.from({ length: 1000 }, (_, i) => ({ title: `Job ${i}`, assigneeIds, tags: ['import'] }));
    const res = (await api.batch(t.apiKey.auth, tasks)).json();
    expect(res.count).toBe(1000);
    expect(res.tasks.map((x: Row) => x.title)).toEqual(tasks.map((x) => x.title));
    expect(res.tasks[0]).toEqual({ id: expect.any(String), title: 'Job 0', status: 'open', dueAt: null, createdAt: expect.any(String) });

    const counts = (await api.list(t.admin.auth, { source: 'api', tag: 'import', assignee: t.engineer.id })).counts;
    expect(counts).toMatchObject({ all: 1000, open: 1000 });
    expect(await countRows(h, 'task_assignees', t.tenantId)).toBe(50_000);
    const sample = await api.get(t.admin.auth, res.tasks[999].id);
    expect(sample).toMatchObject({ source: { type: 'api' }, createdBy: null });
    expect(sorted(ids(sample.assignees as Row[]))).toEqual(sorted(assigneeIds));
    expect(await workflowStatus(sample.id)).toBe('RUNNING');
    const keyId = await apiKeyId(h, t.tenantId);
    expect(await eventsOf(h, sample.id)).toEqual([
      { type: 'task.created', actorKind: 'api_key', actorId: keyId, data: tasks[999] },
    ]);

    await api.batch(t.apiKey.auth, [...tasks, { title: 'one too many' }], { expected: 400 });
    await api.batch(t.apiKey.auth, [], { expected: 400 });
    await api.batch(t.engineer.auth, [{ title: 'x' }], { expected: 403 });
    expect(await countRows(h, 'tasks', t.tenantId)).toBe(1000);
  });

  test('an Idempotency-Key replay returns the first response with 200 and creates nothing; another body is 422', async () => {
    const key = `import-${randomUUID()}`;
    const body = [{ title: 'One', dueAt: '2030-01-01T00:00:00Z' }, { title: 'Two' }, { title: 'Three', priority: 'low' }];
    const first = await api.batch(t.apiKey.auth, body, { key });
    expect(first.headers['idempotent-replayed']).toBeUndefined();

    const replay = await api.batch(t.apiKey.auth, body, { key, expected: 200 });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    // The same body with its keys in another order is the same request.
    const reordered = body.map((task) => Object.fromEntries(Object.entries(task).reverse()));
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(body));
    const reorderedReplay = await api.batch(t.apiKey.auth, reordered, { key, expected: 200 });
    expect(reorderedReplay.json()).toEqual(first.json());
    expect(await countRows(h, 'tasks', t.tenantId)).toBe(3);
    expect(await countRows(h, 'task_events', t.tenantId)).toBe(3);

    const reused = await api.batch(t.apiKey.auth, [{ title: 'Different' }], { key, expected: 422 });
    expect(reused.json()).toMatchObject({ error: 'idempotency_key_reused' });
    expect(await countRows(h, 'tasks', t.tenantId)).toBe(3);

    // Two requests with a new key at once: one creates, the other replays it.
    const raced = await Promise.all(
      [1, 2].map(() =>
        h.app.inject({ method: 'POST', url: '/v1/tasks/batch', headers: { ...t.apiKey.auth, 'idempotency-key': `${key}-2` }, payload: { tasks: body } }),
      ),
    );
    expect(raced.map((r) => r.statusCode).sort()).toEqual([200, 201]);
    expect(raced[0]!.json()).toEqual(raced[1]!.json());
    expect(await countRows(h, 'tasks', t.tenantId)).toBe(6);

    // Keys belong to a tenant: another tenant's same key is a new request.
    const other = await createTenantFixture(h.sql, 'Other');
    await api.batch(other.apiKey.auth, body, { key });
    expect(await countRows(h, 'tasks', other.tenantId)).toBe(3);
  });

  test('a batch with one invalid assignee creates nothing', async () => {
    const key = randomUUID();
    const body = [
      { title: 'Fine', assigneeIds: [t.engineer.id] },
      { title: 'Broken', assigneeIds: [t.engineer.id, randomUUID()] },
      { title: 'Also fine' },
    ];
    const res = await api.batch(t.apiKey.auth, body, { key, expected: 400 });
    expect(res.json()).toMatchObject({ error: 'unknown_reference', details: [{ path: 'body.tasks.1.assigneeIds.1' }] });
    expect(await countRows(h, 'tasks', t.tenantId)).toBe(0);
    expect(await countRows(h, 'task_events', t.tenantId)).toBe(0);
    expect(await countRows(h, 'task_assignees', t.tenantId)).toBe(0);

    // The failure was not remembered: the corrected batch under the same key goes through.
    const fixed = await api.batch(t.apiKey.auth, [body[0]!, { title: 'Broken' }, body[2]!], { key });
    expect(fixed.json().count).toBe(3);
  });
});

describe('POST /v1/tasks/bulk', () => {
  /** Two open tasks, one completed, one archived, an unknown id and another tenant's task. */
  async function mixed() {
    const a = await api.taskIn(t, 'open');
    const b = await api.taskIn(t, 'in_progress');
    const done = await api.taskIn(t, 'completed');
    const archived = await api.taskIn(t, 'archived');
    const other = await createTenantFixture(h.sql, 'Other');
    const foreign = await api.create(other.admin.auth, { title: 'Not yours' });
    return { a, b, done, archived, unknown: randomUUID(), foreign };
  }
  const notFound = (id: string) => ({ id, ok: false, error: { code: 'not_found', message: 'task not found' } });

  test('complete gives a result per id: done, already completed, unknown', async () => {
    const m = await mixed();
    const res = await api.bulk(t.admin.auth, 'complete', [m.a.id, m.done.id, m.unknown, m.b.id, m.archived.id, m.foreign.id]);
    expect(res.json()).toEqual({
      action: 'complete',
      succeeded: 2,
      failed: 4,
      results: [
        { id: m.a.id, ok: true, status: 'completed' },
        { id: m.done.id, ok: false, error: { code: 'invalid_transition', message: 'task is already completed' } },
        notFound(m.unknown),
        { id: m.b.id, ok: true, status: 'completed' },
        { id: m.archived.id, ok: false, error: { code: 'invalid_transition', message: expect.stringContaining('reopen it first') } },
        notFound(m.foreign.id),
      ],
    });
    expect((await api.get(t.admin.auth, m.a.id)).sessionBadge).toBe('manual');
    expect(await statusOf(m.archived.id)).toBe('archived');
    expect((await eventsOf(h, m.b.id)).at(-1)).toMatchObject({ type: 'task.completed', actorKind: 'user', actorId: t.admin.id });
    await api.bulk(t.engineer.auth, 'complete', [m.a.id], { expected: 403 });
    await api.bulk(t.admin.auth, 'reassign', [m.a.id], { expected: 400 });
  });

  test('archive and delete give a result per id too', async () => {
    const m = await mixed();
    const archive = (await api.bulk(t.admin.auth, 'archive', [m.a.id, m.archived.id, m.done.id, m.unknown])).json();
    expect(archive).toEqual({
      action: 'archive',
      succeeded: 2,
      failed: 2,
      results: [
        { id: m.a.id, ok: true, status: 'archived' },
        { id: m.archived.id, ok: false, error: { code: 'invalid_transition', message: 'task is already archived' } },
        { id: m.done.id, ok: true, status: 'archived' },
        notFound(m.unknown),
      ],
    });
    // Archiving keeps how the task was completed.
    expect(await api.get(t.admin.auth, m.done.id)).toMatchObject({ status: 'archived', sessionBadge: 'manual' });

    const del = (await api.bulk(t.admin.auth, 'delete', [m.a.id, m.b.id, m.unknown, m.foreign.id])).json();
    expect(del).toEqual({
      action: 'delete',
      succeeded: 2,
      failed: 2,
      results: [{ id: m.a.id, ok: true, status: 'deleted' }, { id: m.b.id, ok: true, status: 'deleted' }, notFound(m.unknown), notFound(m.foreign.id)],
    });
    await api.send('GET', `/v1/tasks/${m.a.id}`, t.admin.auth, 404);
    await api.send('GET', `/v1/tasks/${m.foreign.id}`, t.admin.auth, 404); // never ours, still there for its tenant
    expect(await countRows(h, 'tasks', t.tenantId)).toBe(2);
    await eventually(async () => (await workflowStatus(m.b.id)) === 'COMPLETED');
  });

  test.each(['complete', 'archive', 'delete'])(
    '%s with an Idempotency-Key: the retry returns the same results and changes nothing more',
    async (action) => {
      const m = await mixed();
      const key = `bulk-${randomUUID()}`;
      const idsSent = [m.a.id, m.done.id, m.unknown];
      const first = (await api.bulk(t.admin.auth, action, idsSent, { key })).json();
      expect(first.succeeded).toBe(action === 'complete' ? 1 : 2);
      // Someone changes a task afterwards; the retry must not undo that.
      if (action !== 'delete') await api.command(t.admin.auth, m.a.id, 'reopen');
      const before = { tasks: await countRows(h, 'tasks', t.tenantId), events: await countRows(h, 'task_events', t.tenantId) };
      const statuses = action === 'delete' ? [] : [await statusOf(m.a.id), await statusOf(m.done.id)];

      const retry = (await api.bulk(t.admin.auth, action, idsSent, { key })).json();
      expect(retry).toEqual(first);
      expect({ tasks: await countRows(h, 'tasks', t.tenantId), events: await countRows(h, 'task_events', t.tenantId) }).toEqual(before);
      if (action !== 'delete') expect([await statusOf(m.a.id), await statusOf(m.done.id)]).toEqual(statuses);

      // The same key with another body is refused, and runs nothing.
      const reused = await api.bulk(t.admin.auth, action, [m.b.id], { key, expected: 422 });
      expect(reused.json()).toMatchObject({ error: 'idempotency_key_reused' });
      expect(await statusOf(m.b.id)).toBe('in_progress');
    },
  );
});

describe('task_events', () => {
  test('every change is recorded with the kind and id of who made it', async () => {
    const keyId = await apiKeyId(h, t.tenantId);
    const created = (await api.send('POST', '/v1/tasks', t.apiKey.auth, 201, { payload: { title: 'Audited', assigneeIds: [t.engineer.id] } })).json();
    const id = created.id as string;
    await api.patch(t.admin.auth, id, { priority: 'high' });
    await api.upload(t.apiKey.auth, id, [{ name: 'photo.txt', content: Buffer.from('x') }]);
    await api.command(t.engineer.auth, id, 'status', { status: 'in_progress' });
    await api.command(t.engineer.auth, id, 'complete');
    await api.command(t.admin.auth, id, 'reopen');
    await api.bulk(t.admin.auth, 'archive', [id]);
    await api.command(t.admin.auth, id, 'reopen');
    await api.command(t.admin.auth, id, 'cancel');

    const events = await eventsOf(h, id);
    expect(events.map((e) => [e.type, e.actorKind, e.actorId])).toEqual([
      ['task.created', 'api_key', keyId],
      ['task.updated', 'user', t.admin.id],
      ['task.attachments_added', 'api_key', keyId],
      ['task.status_changed', 'user', t.engineer.id],
      ['task.completed', 'user', t.engineer.id],
      ['task.reopened', 'user', t.admin.id],
      ['task.archived', 'user', t.admin.id],
      ['task.reopened', 'user', t.admin.id],
      ['task.cancelled', 'user', t.admin.id],
    ]);
    expect(events[0]!.data).toEqual({ title: 'Audited', assigneeIds: [t.engineer.id] });
    expect(events[4]!.data).toEqual({ from: 'in_progress', to: 'completed', completionSource: 'manual' });
    expect(events[6]!.data).toEqual({ from: 'open', to: 'archived', completionSource: null });
  });
});
