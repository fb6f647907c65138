/**
 * Tenant isolation and authorization on every /v1 route. Two tenants, A and B,
 * hold mirror-image tasks; whatever one tenant's tokens send about the other's
 * tasks gets 404 (or a per-id not_found), shows none of its data and changes
 * none of its rows.
 */
import type { InjectOptions } from 'fastify';
import { createToken, createUser, revokeToken } from '../../db/repositories/accounts';
import { TABS, insertTasks } from '../../db/repositories/tasks';
import { taskWorkflowId } from '../../domain/ids';
import {
  type Headers,
  V1_ROUTES,
  type V1Route,
  createTask,
  expectError,
  multipartUpload,
  routeRequest,
  servedRoutes,
  tenantRows,
  uncoveredV1Routes,
  uploadFile,
} from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture, eventually, firstRow, startHarness } from '../helpers/harness';
import { WORKSPACE_ROUTES } from '../helpers/workspace-api';
import { INTEGRATION_ROUTES } from '../integrations-api/routes';
import { SESSION_ROUTES } from '../helpers/session-api';
import { WRITEBACK_ROUTES } from '../helpers/writeback-fixture';

type TaskKey = 'open' | 'done' | 'private';
const STATUS_OF: Record<TaskKey, string> = { open: 'open', done: 'completed', private: 'open' };

/** A tenant with three tasks: open (overdue, tagged, assigned), done (from the API key, completed) and private. */
interface Seeded {
  t: TenantFixture;
  word: string;
  ids: Record<TaskKey, string>;
  titles: string[];
  attachment: { id: string; url: string; content: string };
  privateAttachment: { id: string; url: string };
}

let h: Harness;
let A: Seeded;
let B: Seeded;
/** An engineer of A who neither created nor is assigned to A's private task. */
let outsider: { id: string; auth: Headers };

const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });

async function seedTenant(name: string, word: string): Promise<Seeded> {
  const t = await createTenantFixture(h.sql, name);
  const open = await createTask(h.app, t.admin.auth, {
    title: `${word} boiler service`,
    description: `${word} confidential notes`,
    priority: 'urgent',
    dueAt: '2020-01-01T09:00:00Z',
    tags: ['shared-tag'],
    assigneeIds: [t.engineer.id],
  });
  const done = await createTask(h.app, t.apiKey.auth, { title: `${word} finished job`, priority: 'low' });
  const completed = await h.app.inject({ method: 'POST', url: `/v1/tasks/${done.id}/complete`, headers: t.admin.auth });
  expect(completed.statusCode).toBe(200);
  const priv = await createTask(h.app, t.admin.auth, { title: `${word} private matter`, private: true, assigneeIds: [t.engineer.id] });
  const content = `${word.toUpperCase()}-ATTACHMENT-CONTENT`;
  const attachment = await uploadFile(h.app, t.admin.auth, open.id, `${word}-secret.txt`, content);
  const privateAttachment = await uploadFile(h.app, t.admin.auth, priv.id, `${word}-private.txt`, 'private bytes');
  // The open task is overdue: wait for its workflow to record that, so later snapshots are stable.
  await eventually(async () => {
    const { n } = await firstRow(
      h.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM task_events WHERE task_id = ${open.id} AND type = 'task.overdue'`,
    );
    return n > 0;
  });
  return {
    t,
    word,
    ids: { open: open.id, done: done.id, private: priv.id },
    titles: [open.title, done.title, priv.title, `${word} confidential notes`, `${word}-secret.txt`, content],
    attachment: { ...attachment, content },
    privateAttachment,
  };
}

beforeAll(async () => {
  h = await startHarness();
  [A, B] = await Promise.all([seedTenant('A', 'Alpha'), seedTenant('B', 'Beta')]);
  const user = await createUser(h.sql, A.t.tenantId, { email: `outsider-${A.t.tenantId}@t.test`, name: 'Olga Outsider', role: 'engineer' });
  outsider = { id: user.id, auth: bearer((await createToken(h.sql, A.t.tenantId, { userId: user.id })).token) };
});
afterAll(() => h.stop());

/**
 * The response shows nothing of `owner`: none of its titles, notes, file names
 * or file bytes, nor (unless the caller sent them) its ids.
 */
function expectNothingOf(owner: Seeded, body: string, { idsWereSent = false } = {}): void {
  const ids = idsWereSent ? [] : [...Object.values(owner.ids), owner.attachment.id];
  for (const secret of [...ids, ...owner.titles]) expect(body).not.toContain(secret);
}

/** Runs `act` and proves it changed none of the tenant's rows, workflows or files. */
async function expectUntouched(owner: Seeded, act: () => Promise<void>): Promise<void> {
  const before = await tenantRows(h, owner.t.tenantId);
  await act();
  expect(await tenantRows(h, owner.t.tenantId)).toEqual(before);
  for (const id of Object.values(owner.ids)) {
    const described = await h.client.workflow.getHandle(taskWorkflowId(id)).describe();
    expect(described.status.name).toBe('RUNNING');
  }
  const file = await h.app.inject({ url: owner.attachment.url, headers: owner.t.admin.auth });
  expect(file.statusCode).toBe(200);
  expect(file.body).toBe(owner.attachment.content);
}

async function send(auth: Headers, request: InjectOptions) {
  return h.app.inject({ ...request, headers: { ...auth, ...(request.headers as Headers | undefined) } });
}

/** Follows nextCursor from `url` to the last page (at most 10 items), checking no page shows `other`; the ids seen, sorted. */
async function walkPages(auth: Headers, url: string, other: Seeded): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await send(auth, { url: `${url}${cursor ? `&cursor=${cursor}` : ''}` });
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
    expectNothingOf(other, res.body);
    const page: { items: { id: string }[]; nextCursor: string | null } = res.json();
    seen.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor;
  } while (cursor && seen.length < 10);
  return seen.sort();
}

/** Each route that names a task, with a request that would succeed on that task for its own tenant's admin. */
const TASK_ROUTES: { route: V1Route; target: TaskKey; extra?: Partial<InjectOptions> }[] = [
  { route: 'GET /v1/tasks/:id', target: 'open' },
  { route: 'GET /v1/tasks/:id', target: 'private' },
  { route: 'PATCH /v1/tasks/:id', target: 'open', extra: { payload: { title: 'Hijacked', priority: 'low' } } },
  { route: 'DELETE /v1/tasks/:id', target: 'open' },
  { route: 'POST /v1/tasks/:id/complete', target: 'open' },
  { route: 'POST /v1/tasks/:id/reopen', target: 'done' },
  { route: 'POST /v1/tasks/:id/archive', target: 'open' },
  { route: 'POST /v1/tasks/:id/cancel', target: 'open' },
  { route: 'POST /v1/tasks/:id/status', target: 'open', extra: { payload: { status: 'in_progress' } } },
  { route: 'POST /v1/tasks/:id/attachments', target: 'open', extra: multipartUpload([{ filename: 'planted.txt', content: 'x' }]) },
  { route: 'GET /v1/tasks/:id/attachments/:attachmentId', target: 'open' },
];

const taskRequest = (owner: Seeded, c: (typeof TASK_ROUTES)[number]) =>
  routeRequest(c.route, { taskId: owner.ids[c.target], attachmentId: owner.attachment.id }, c.extra);

test('the tables cover every /v1 route the app serves, and every route that names a task', async () => {
  // The workspace routes (customers, projects, comments, templates…) have their own tables: workspace-edges.test.ts;
  // the integrations routes theirs: test/integrations-api/edges.test.ts; sessions and writebacks: test/sessions, test/writeback.
  const workspace: readonly string[] = [...WORKSPACE_ROUTES, ...INTEGRATION_ROUTES, ...SESSION_ROUTES, ...WRITEBACK_ROUTES];
  expect(await uncoveredV1Routes(h.app, [...V1_ROUTES, ...workspace])).toEqual([]);
  const namingATask = servedRoutes(h.app).filter((r) => r.includes('/:id') && !workspace.includes(r));
  expect(namingATask.filter((r) => !TASK_ROUTES.some((c) => c.route === r))).toEqual([]);
});

describe("another tenant's admin", () => {
  test.each(TASK_ROUTES)("$route on A's $target task gets 404, sees nothing and changes nothing", async (c) => {
    await expectUntouched(A, async () => {
      const res = await send(B.t.admin.auth, taskRequest(A, c));
      expectError(res, 404, 'not_found', /not found/);
      expectNothingOf(A, res.body);
    });
  });

  // An API key sees every task of its own tenant, and only those; edits and deletes are refused before any lookup.
  test.each(TASK_ROUTES)("$route on A's $target task with B's API key gets 404 or 403 and changes nothing", async (c) => {
    const adminOnly = c.route.startsWith('PATCH') || c.route.startsWith('DELETE');
    await expectUntouched(A, async () => {
      const res = await send(B.t.apiKey.auth, taskRequest(A, c));
      if (adminOnly) expectError(res, 403, 'forbidden', /only a tenant admin/);
      else expectError(res, 404, 'not_found', /not found/);
      expectNothingOf(A, res.body);
    });
  });

  test("cannot download A's attachment through its own task", async () => {
    const res = await send(B.t.admin.auth, { url: `/v1/tasks/${B.ids.open}/attachments/${A.attachment.id}` });
    expectError(res, 404, 'not_found', /attachment not found/);
    expectNothingOf(A, res.body);
  });

  test.each(['complete', 'archive', 'delete'] as const)("bulk %s with A's ids gets a not_found per id", async (action) => {
    const ids = Object.values(A.ids);
    await expectUntouched(A, async () => {
      const res = await send(B.t.admin.auth, { method: 'POST', url: '/v1/tasks/bulk', payload: { action, ids } });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        action,
        succeeded: 0,
        failed: ids.length,
        results: ids.map((id) => ({ id, ok: false, error: { code: 'not_found', message: 'task not found' } })),
      });
      expectNothingOf(A, res.body, { idsWereSent: true });
    });
  });

  test("a bulk mixing its own and A's ids applies only its own", async () => {
    const c = await createTenantFixture(h.sql, 'C');
    const own = await createTask(h.app, c.admin.auth, { title: 'Own task' });
    await expectUntouched(A, async () => {
      const payload = { action: 'archive', ids: [own.id, A.ids.open] };
      const res = await send(c.admin.auth, { method: 'POST', url: '/v1/tasks/bulk', payload });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({
        succeeded: 1,
        failed: 1,
        results: [
          { id: own.id, ok: true, status: 'archived' },
          { id: A.ids.open, ok: false, error: { code: 'not_found' } },
        ],
      });
    });
  });

  test("cannot point its tasks at A's users or A's customers", async () => {
    const c = await createTenantFixture(h.sql, 'C');
    const [customer] = await h.sql<{ id: string }[]>`
      INSERT INTO customers (tenant_id, name) VALUES (${A.t.tenantId}, 'A customer') RETURNING id`;
    const own = await createTask(h.app, c.admin.auth, { title: 'Own task' });
    const before = await tenantRows(h, c.tenantId);
    const attempts: InjectOptions[] = [
      { method: 'POST', url: '/v1/tasks', payload: { title: 'x', assigneeIds: [A.t.engineer.id] } },
      { method: 'POST', url: '/v1/tasks/batch', payload: { tasks: [{ title: 'x', assigneeIds: [A.t.admin.id] }] } },
      { method: 'PATCH', url: `/v1/tasks/${own.id}`, payload: { assigneeIds: [A.t.engineer.id] } },
      { method: 'POST', url: '/v1/tasks', payload: { title: 'x', customerId: customer!.id } },
      { method: 'PATCH', url: `/v1/tasks/${own.id}`, payload: { customerId: customer!.id } },
    ];
    for (const attempt of attempts) {
      const res = await send(c.admin.auth, attempt);
      expectError(res, 400, 'unknown_reference', /assignees are not users of this tenant|customerId names something that does not exist/);
    }
    expect(await tenantRows(h, c.tenantId)).toEqual(before);
  });

  test("reusing A's Idempotency-Key creates its own tasks and never replays A's response", async () => {
    const [c, d] = await Promise.all([createTenantFixture(h.sql, 'C'), createTenantFixture(h.sql, 'D')]);
    const key = `shared-key-${c.tenantId}`;
    const batch = (t: TenantFixture, title: string) =>
      send(t.apiKey.auth, { method: 'POST', url: '/v1/tasks/batch', headers: { 'idempotency-key': key }, payload: { tasks: [{ title }] } });
    const first = await batch(c, 'C job');
    expect(first.statusCode).toBe(201);
    const second = await batch(d, 'D job');
    expect(second.statusCode).toBe(201);
    expect(second.json().tasks[0].title).toBe('D job');
    expect(second.body).not.toContain(first.json().tasks[0].id);
    const bulk = (t: TenantFixture, ids: string[]) =>
      send(t.admin.auth, {
        method: 'POST',
        url: '/v1/tasks/bulk',
        headers: { 'idempotency-key': key },
        payload: { action: 'archive', ids },
      });
    expect((await bulk(c, [first.json().tasks[0].id])).json()).toMatchObject({ succeeded: 1 });
    const other = await bulk(d, [second.json().tasks[0].id]);
    expect(other.statusCode).toBe(200);
    expect(other.json()).toMatchObject({ succeeded: 1, results: [{ id: second.json().tasks[0].id, ok: true, status: 'archived' }] });
  });
});

describe('lists never show the other tenant', () => {
  /** A query (built for the viewer, with the other tenant at hand) and which of the viewer's own tasks match it. */
  const QUERIES: { name: string; query: (viewer: Seeded, other: Seeded) => string; own: TaskKey[] }[] = [
    { name: 'no filter', query: () => '', own: ['open', 'done', 'private'] },
    ...TABS.map((tab) => ({ name: `tab=${tab}`, query: () => `tab=${tab}`, own: ['open', 'done', 'private'] as TaskKey[] })),
    { name: 'q shared word', query: () => 'q=boiler', own: ['open'] },
    { name: "q the viewer's word", query: (v) => `q=${v.word}`, own: ['open', 'done', 'private'] },
    { name: "q the other's word", query: (_v, o) => `q=${o.word}`, own: [] },
    { name: 'priority', query: () => 'priority=urgent', own: ['open'] },
    { name: 'own assignee', query: (v) => `assignee=${v.t.engineer.id}`, own: ['open', 'private'] },
    { name: "the other's assignee", query: (_v, o) => `assignee=${o.t.engineer.id}`, own: [] },
    { name: 'unassigned', query: () => 'assignee=unassigned', own: ['done'] },
    { name: 'assignee=me', query: () => 'assignee=me', own: [] },
    { name: 'source manual', query: () => 'source=manual', own: ['open', 'private'] },
    { name: 'source api', query: () => 'source=api', own: ['done'] },
    { name: 'source integration', query: () => 'source=integration', own: [] },
    { name: 'tag', query: () => 'tag=shared-tag', own: ['open'] },
    { name: 'dueAfter', query: () => 'dueAfter=2019-01-01T00:00:00Z', own: ['open'] },
    { name: 'dueBefore', query: () => 'dueBefore=2021-01-01T00:00:00Z', own: ['open'] },
    { name: 'overdue', query: () => 'overdue=true', own: ['open'] },
    { name: 'not overdue', query: () => 'overdue=false', own: ['done', 'private'] },
    ...['created', 'updated', 'due', 'priority'].flatMap((sort) =>
      ['asc', 'desc'].map((order) => ({
        name: `sort=${sort} ${order}`,
        query: () => `sort=${sort}&order=${order}&limit=200`,
        own: ['open', 'done', 'private'] as TaskKey[],
      })),
    ),
    {
      name: 'every filter at once',
      query: () => 'q=boiler&priority=urgent&source=manual&tag=shared-tag&overdue=true&sort=due&dueAfter=2019-01-01T00:00:00Z',
      own: ['open'],
    },
  ];

  const tabOf = (query: string) => /(?:^|&)tab=(\w+)/.exec(query)?.[1] ?? 'all';
  const inTab = (tab: string, key: TaskKey) => (tab === 'all' ? STATUS_OF[key] !== 'archived' : STATUS_OF[key] === tab);
  function countsOf(keys: TaskKey[]) {
    const counts: Record<string, number> = Object.fromEntries(TABS.map((t) => [t, 0]));
    for (const key of keys) {
      counts[STATUS_OF[key]]! += 1;
      counts.all! += 1;
    }
    return counts;
  }

  const BOTH_VIEWERS = QUERIES.flatMap((q) => [
    { ...q, viewer: 'A' },
    { ...q, viewer: 'B' },
  ]);

  test.each(BOTH_VIEWERS)('GET /v1/tasks $name, as $viewer', async ({ query, own, viewer }) => {
    const [v, o] = viewer === 'A' ? [A, B] : [B, A];
    const qs = query(v, o);
    const res = await send(v.t.admin.auth, { url: `/v1/tasks?${qs}` });
    expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 200 });
    const list = res.json();
    const expected = own.filter((k) => inTab(tabOf(qs), k)).map((k) => v.ids[k]);
    expect(list.items.map((i: { id: string }) => i.id).sort()).toEqual(expected.sort());
    expect(list.counts).toEqual(countsOf(own));
    expectNothingOf(o, res.body);
  });

  test.each(['created', 'updated', 'due', 'priority'])('paging one at a time by %s walks only its own tasks', async (sort) => {
    expect(await walkPages(B.t.admin.auth, `/v1/tasks?sort=${sort}&limit=1`, A)).toEqual(Object.values(B.ids).sort());
  });

  test('the engineer and the API key of B see only B', async () => {
    for (const auth of [B.t.engineer.auth, B.t.apiKey.auth]) {
      const res = await send(auth, { url: '/v1/tasks?limit=200' });
      expect(res.statusCode).toBe(200);
      expect(res.json().items.map((i: { id: string }) => i.id).sort()).toEqual(Object.values(B.ids).sort());
      expectNothingOf(A, res.body);
    }
  });

  test.each([
    { name: 'no filter', qs: '' },
    { name: 'updatedSince', qs: 'updatedSince=2000-01-01T00:00:00Z' },
    { name: 'limit 1', qs: 'limit=1' },
  ])('GET /v1/me/tasks ($name) lists only the caller’s own assigned tasks', async ({ qs }) => {
    for (const [v, o] of [
      [A, B],
      [B, A],
    ] as const) {
      expect(await walkPages(v.t.engineer.auth, `/v1/me/tasks?${qs}`, o)).toEqual([v.ids.open, v.ids.private].sort());
      const admin = await send(v.t.admin.auth, { url: `/v1/me/tasks?${qs}` });
      expect(admin.json()).toEqual({ items: [], nextCursor: null });
    }
  });
});

describe('authentication', () => {
  const anyTask = () => ({ taskId: A.ids.open, attachmentId: A.attachment.id });

  test.each(V1_ROUTES)('%s: no, malformed or unknown token gets 401 and changes nothing', async (route) => {
    const cases: [Headers, RegExp][] = [
      [{}, /missing Authorization/],
      [{ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, /must be "Bearer <token>"/],
      [{ authorization: 'Bearer' }, /must be "Bearer <token>"/],
      [{ authorization: `Bearer ${A.t.admin.token} extra` }, /must be "Bearer <token>"/],
      [{ authorization: A.t.admin.token }, /must be "Bearer <token>"/],
      [{ authorization: 'Bearer th_not-a-real-token' }, /token is not valid/],
    ];
    await expectUntouched(A, async () => {
      for (const [headers, message] of cases) {
        const res = await h.app.inject(routeRequest(route, anyTask(), { headers, payload: route.startsWith('GET') ? undefined : {} }));
        expectError(res, 401, 'unauthorized', message);
        expectNothingOf(A, res.body);
      }
    });
  });

  test('a revoked token, user or API key, gets 401 on every route', async () => {
    const user = await createToken(h.sql, A.t.tenantId, { userId: A.t.admin.id });
    const key = await createToken(h.sql, A.t.tenantId, { name: 'soon revoked' });
    for (const token of [user, key]) {
      expect((await send(bearer(token.token), { url: '/v1/tasks' })).statusCode).toBe(200);
      expect(await revokeToken(h.sql, A.t.tenantId, token.id)).toBe(true);
      await expectUntouched(A, async () => {
        for (const route of V1_ROUTES) {
          const res = await send(bearer(token.token), routeRequest(route, anyTask()));
          expectError(res, 401, 'unauthorized', /token is not valid/);
        }
      });
    }
  });
});

describe('roles', () => {
  const ADMIN_ONLY: { route: V1Route; extra?: (a: Seeded) => Partial<InjectOptions> }[] = [
    { route: 'PATCH /v1/tasks/:id', extra: () => ({ payload: { title: 'Engineer edit' } }) },
    { route: 'DELETE /v1/tasks/:id' },
    { route: 'POST /v1/tasks/:id/archive' },
    { route: 'POST /v1/tasks/:id/cancel' },
    { route: 'POST /v1/tasks/bulk', extra: (a) => ({ payload: { action: 'archive', ids: [a.ids.open] } }) },
    { route: 'POST /v1/tasks', extra: () => ({ payload: { title: 'Engineer task' } }) },
    { route: 'POST /v1/tasks/batch', extra: () => ({ payload: { tasks: [{ title: 'Engineer task' }] } }) },
    { route: 'POST /v1/tasks/:id/attachments', extra: () => multipartUpload([{ filename: 'e.txt', content: 'e' }]) },
  ];

  test.each(ADMIN_ONLY)('an engineer assigned to the task gets 403 on $route', async ({ route, extra }) => {
    await expectUntouched(A, async () => {
      const res = await send(A.t.engineer.auth, routeRequest(route, { taskId: A.ids.open }, extra?.(A)));
      expectError(res, 403, 'forbidden', /only a tenant admin/);
    });
  });

  test.each(['complete', 'status'])('an engineer not assigned to a visible task gets 403 on %s', async (command) => {
    await expectUntouched(A, async () => {
      const res = await send(outsider.auth, { method: 'POST', url: `/v1/tasks/${A.ids.open}/${command}`, payload: { status: 'waiting' } });
      expectError(res, 403, 'forbidden', /only a tenant admin or an assignee/);
    });
  });

  test('an API key gets 403 on /v1/me/tasks and on assignee=me', async () => {
    expectError(await send(A.t.apiKey.auth, { url: '/v1/me/tasks' }), 403, 'forbidden', /needs a user token/);
    expectError(await send(A.t.apiKey.auth, { url: '/v1/tasks?assignee=me' }), 403, 'forbidden', /needs a user token/);
  });
});

describe('private tasks', () => {
  test('an engineer neither assigned nor creator gets 404 on every route that names it', async () => {
    const routes: { route: V1Route; extra?: Partial<InjectOptions> }[] = [
      { route: 'GET /v1/tasks/:id' },
      { route: 'POST /v1/tasks/:id/complete' },
      { route: 'POST /v1/tasks/:id/reopen' },
      { route: 'POST /v1/tasks/:id/status', extra: { payload: { status: 'waiting' } } },
      { route: 'GET /v1/tasks/:id/attachments/:attachmentId' },
    ];
    await expectUntouched(A, async () => {
      for (const { route, extra } of routes) {
        const res = await send(outsider.auth, routeRequest(route, { taskId: A.ids.private, attachmentId: A.privateAttachment.id }, extra));
        expectError(res, 404, 'not_found', /not found/);
        expect(res.body).not.toContain('Alpha private matter');
      }
    });
  });

  test('it is missing from that engineer’s lists and counts, and present for the assigned engineer', async () => {
    const listOf = async (auth: Headers, qs = '') => {
      const res = await send(auth, { url: `/v1/tasks?${qs}` });
      expect(res.statusCode).toBe(200);
      return res.json() as { items: { id: string }[]; counts: Record<string, number> };
    };
    const hidden = await listOf(outsider.auth);
    expect(hidden.items.map((i) => i.id).sort()).toEqual([A.ids.open, A.ids.done].sort());
    expect(hidden.counts).toMatchObject({ all: 2, open: 1, completed: 1 });
    expect((await listOf(outsider.auth, 'q=private')).items).toEqual([]);
    expect((await listOf(outsider.auth, `assignee=${A.t.engineer.id}`)).counts).toMatchObject({ all: 1, open: 1 });

    const shown = await listOf(A.t.engineer.auth);
    expect(shown.items.map((i) => i.id).sort()).toEqual(Object.values(A.ids).sort());
    expect(shown.counts).toMatchObject({ all: 3, open: 2, completed: 1 });
    expect((await listOf(A.t.engineer.auth, 'q=private')).items.map((i) => i.id)).toEqual([A.ids.private]);

    const detail = await send(A.t.engineer.auth, { url: `/v1/tasks/${A.ids.private}` });
    expect(detail.statusCode).toBe(200);
    expect(detail.json()).toMatchObject({ id: A.ids.private, private: true, title: 'Alpha private matter' });
    const file = await send(A.t.engineer.auth, { url: A.privateAttachment.url });
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('private bytes');
  });

  test('the engineer who created a private task sees it', async () => {
    const c = await createTenantFixture(h.sql, 'C');
    const [created] = await h.sql.begin((tx) =>
      insertTasks(tx, c.tenantId, [{ title: 'Made by the engineer', source: 'manual', private: true, createdBy: c.engineer.id }]),
    );
    const other = await createUser(h.sql, c.tenantId, { email: `other-${c.tenantId}@t.test`, name: 'Other', role: 'engineer' });
    const otherAuth = bearer((await createToken(h.sql, c.tenantId, { userId: other.id })).token);

    expect((await send(c.engineer.auth, { url: `/v1/tasks/${created!.id}` })).statusCode).toBe(200);
    expect((await send(c.engineer.auth, { url: '/v1/tasks' })).json().counts.all).toBe(1);
    expectError(await send(otherAuth, { url: `/v1/tasks/${created!.id}` }), 404, 'not_found');
    expect((await send(otherAuth, { url: '/v1/tasks' })).json()).toMatchObject({ items: [], counts: { all: 0 } });
  });
});
