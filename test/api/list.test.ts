/**
 * GET /v1/tasks as the Dashboard's Tasks page uses it (seed 000): status tabs
 * with counts, search, filters, sorts and keyset pages; and GET /v1/me/tasks,
 * the engineer's device sync.
 */
import { type Harness, type TenantFixture, createTenantFixture, eventually, firstRow, startHarness } from '../helpers/harness';
import { type Row, addUser, ids, sorted, taskApi } from '../helpers/task-api';

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

const ZERO = { all: 0, open: 0, in_progress: 0, waiting: 0, completed: 0, cancelled: 0, archived: 0 };

/** The ids a list query returns (one page), as a set. */
async function idsOf(query: Record<string, string>, auth = t.admin.auth): Promise<string[]> {
  return sorted(ids((await api.list(auth, { limit: '200', ...query })).items));
}

describe('status tabs and counts', () => {
  test('All leaves out archived tasks, each tab lists its own status, and every response counts every tab', async () => {
    const statuses = ['open', 'in_progress', 'waiting', 'completed', 'cancelled', 'archived'] as const;
    const byStatus: Record<string, Row> = {};
    for (const s of statuses) byStatus[s] = await api.taskIn(t, s);
    const secondOpen = await api.taskIn(t, 'open');
    const expectedCounts = { all: 6, open: 2, in_progress: 1, waiting: 1, completed: 1, cancelled: 1, archived: 1 };

    const all = await api.list(t.admin.auth);
    expect(sorted(ids(all.items))).toEqual(sorted([...ids(Object.values(byStatus)), secondOpen.id].filter((id) => id !== byStatus.archived!.id)));
    expect(all.counts).toEqual(expectedCounts);
    expect((await api.list(t.admin.auth, { tab: 'all' })).items).toHaveLength(6);

    for (const s of statuses) {
      const tab = await api.list(t.admin.auth, { tab: s });
      const expected = s === 'open' ? [byStatus.open!.id, secondOpen.id] : [byStatus[s]!.id];
      expect(sorted(ids(tab.items))).toEqual(sorted(expected));
      expect(tab.items.every((i) => i.status === s)).toBe(true);
      expect(tab.counts).toEqual(expectedCounts);
    }
  });

  test('counts follow the filters, whatever the tab', async () => {
    await api.taskIn(t, 'open', { priority: 'high', title: 'Boiler service' });
    await api.taskIn(t, 'completed', { priority: 'high', title: 'Boiler repair' });
    await api.taskIn(t, 'archived', { priority: 'high', title: 'Old boiler job' });
    await api.taskIn(t, 'open', { priority: 'low', title: 'Boiler check' });
    await api.taskIn(t, 'waiting', { priority: 'low', title: 'Radiator flush' });

    const high = await api.list(t.admin.auth, { priority: 'high', tab: 'completed' });
    expect(high.items.map((i) => i.title)).toEqual(['Boiler repair']);
    expect(high.counts).toEqual({ ...ZERO, all: 2, open: 1, completed: 1, archived: 1 });

    const boilerLow = await api.list(t.admin.auth, { q: 'boiler', priority: 'low' });
    expect(boilerLow.items.map((i) => i.title)).toEqual(['Boiler check']);
    expect(boilerLow.counts).toEqual({ ...ZERO, all: 1, open: 1 });

    const none = await api.list(t.admin.auth, { q: 'chimney' });
    expect(none).toEqual({ items: [], nextCursor: null, counts: ZERO });
  });

  test("an engineer's list and counts leave out private tasks they neither created nor are assigned to", async () => {
    const shared = await api.create(t.admin.auth, { title: 'Shared' });
    const mine = await api.create(t.admin.auth, { title: 'Mine', private: true, assigneeIds: [t.engineer.id] });
    const secret = await api.create(t.admin.auth, { title: 'Secret', private: true });

    const engineerView = await api.list(t.engineer.auth);
    expect(sorted(ids(engineerView.items))).toEqual(sorted([shared.id, mine.id]));
    expect(engineerView.counts).toMatchObject({ all: 2, open: 2 });
    expect(await idsOf({})).toEqual(sorted([shared.id, mine.id, secret.id]));
  });
});

describe('search and filters', () => {
  test('q is full-text search over title and description, with stemming', async () => {
    const boiler = await api.create(t.admin.auth, { title: 'Boiler service', description: 'Annual check for Mrs Smith' });
    const gas = await api.create(t.admin.auth, { title: 'Gas meter', description: 'Servicing of the meter and flue' });
    const radiator = await api.create(t.admin.auth, { title: 'Radiator', description: 'Customer reports leaking valves' });

    expect(await idsOf({ q: 'servicing' })).toEqual(sorted([boiler.id, gas.id]));
    expect(await idsOf({ q: 'services' })).toEqual(sorted([boiler.id, gas.id]));
    expect(await idsOf({ q: 'leak' })).toEqual([radiator.id]);
    expect(await idsOf({ q: 'smith' })).toEqual([boiler.id]);
    expect(await idsOf({ q: 'boiler servicing' })).toEqual([boiler.id]);
    expect(await idsOf({ q: 'boiler or radiator' })).toEqual(sorted([boiler.id, radiator.id]));
    expect(await idsOf({ q: 'plumbing' })).toEqual([]);
    expect((await api.list(t.admin.auth, { q: 'servicing' })).counts).toMatchObject({ all: 2, open: 2 });
  });

  test('priority, source (manual vs api) and tag filters', async () => {
    const manualHigh = await api.create(t.admin.auth, { title: 'Manual high', priority: 'high', tags: ['gas', 'annual'] });
    const manualDefault = await api.create(t.admin.auth, { title: 'Manual default', tags: ['annual'] });
    const fromApi = (await api.batch(t.apiKey.auth, [{ title: 'From API', priority: 'high', tags: ['gas'] }])).json().tasks[0];
    const viaApiCreate = await api.create(t.apiKey.auth, { title: 'Single API create', priority: 'urgent' });

    expect(await idsOf({ priority: 'high' })).toEqual(sorted([manualHigh.id, fromApi.id]));
    expect(await idsOf({ priority: 'medium' })).toEqual([manualDefault.id]);
    expect(await idsOf({ priority: 'low' })).toEqual([]);
    expect(await idsOf({ source: 'manual' })).toEqual(sorted([manualHigh.id, manualDefault.id]));
    expect(await idsOf({ source: 'api' })).toEqual(sorted([fromApi.id, viaApiCreate.id]));
    expect(await idsOf({ source: 'integration' })).toEqual([]);
    expect(await idsOf({ tag: 'gas' })).toEqual(sorted([manualHigh.id, fromApi.id]));
    expect(await idsOf({ tag: 'annual' })).toEqual(sorted([manualHigh.id, manualDefault.id]));
    expect(await idsOf({ tag: 'gas', source: 'manual', priority: 'high' })).toEqual([manualHigh.id]);

    const row = (await api.list(t.admin.auth, { source: 'api', priority: 'high' })).items[0]!;
    expect(row).toMatchObject({ source: { type: 'api', provider: null }, tags: ['gas'] });
  });

  test('assignee filter: unassigned, me, or a user id; rows show assignees with their names', async () => {
    const zed = await addUser(h, t.tenantId, 'Zed Zebra');
    const engineersOnly = await api.create(t.admin.auth, { title: 'Eddie', assigneeIds: [t.engineer.id] });
    const shared = await api.create(t.admin.auth, { title: 'Shared', assigneeIds: [zed.id, t.admin.id, t.engineer.id] });
    const nobody = await api.create(t.admin.auth, { title: 'Nobody' });
    const zeds = await api.create(t.admin.auth, { title: 'Zed', assigneeIds: [zed.id] });

    expect(await idsOf({ assignee: 'unassigned' })).toEqual([nobody.id]);
    expect(await idsOf({ assignee: 'me' })).toEqual([shared.id]);
    expect(await idsOf({ assignee: 'me' }, t.engineer.auth)).toEqual(sorted([engineersOnly.id, shared.id]));
    expect(await idsOf({ assignee: zed.id })).toEqual(sorted([shared.id, zeds.id]));
    expect(await idsOf({ assignee: t.engineer.id }, zed.auth)).toEqual(sorted([engineersOnly.id, shared.id]));
    expect((await api.list(t.admin.auth, { assignee: 'unassigned' })).counts).toMatchObject({ all: 1, open: 1 });

    const sharedRow = (await api.list(t.admin.auth, { assignee: zed.id })).items.find((i) => i.id === shared.id)!;
    expect(sharedRow.assignees).toEqual([
      { id: t.admin.id, name: 'Ada Admin', email: expect.stringContaining('@t.test') },
      { id: t.engineer.id, name: 'Eddie Engineer', email: expect.stringContaining('@t.test') },
      { id: zed.id, name: 'Zed Zebra', email: expect.stringContaining('@t.test') },
    ]);
    const nobodyRow = (await api.list(t.admin.auth, { assignee: 'unassigned' })).items[0]!;
    expect(nobodyRow.assignees).toEqual([]);

    // "me" means a user: an API key has none.
    await api.send('GET', '/v1/tasks', t.apiKey.auth, 403, { query: { assignee: 'me' } });
    await api.send('GET', '/v1/tasks', t.admin.auth, 400, { query: { assignee: 'someone' } });
  });

  test('dueAfter (inclusive), dueBefore (exclusive) and overdue', async () => {
    const pastOpen = await api.taskIn(t, 'open', { dueAt: '2020-01-01T00:00:00Z' });
    const pastWaiting = await api.taskIn(t, 'waiting', { dueAt: '2020-02-01T00:00:00Z' });
    const pastCompleted = await api.taskIn(t, 'completed', { dueAt: '2020-06-01T00:00:00Z' });
    const pastCancelled = await api.taskIn(t, 'cancelled', { dueAt: '2020-07-01T00:00:00Z' });
    const future = await api.taskIn(t, 'open', { dueAt: '2099-01-01T00:00:00Z' });
    const undated = await api.taskIn(t, 'open');

    expect(await idsOf({ dueAfter: '2020-06-01T00:00:00Z' })).toEqual(sorted([pastCompleted.id, pastCancelled.id, future.id]));
    expect(await idsOf({ dueBefore: '2020-06-01T00:00:00Z' })).toEqual(sorted([pastOpen.id, pastWaiting.id]));
    expect(await idsOf({ dueAfter: '2020-01-15T00:00:00Z', dueBefore: '2020-07-01T00:00:00Z' })).toEqual(
      sorted([pastWaiting.id, pastCompleted.id]),
    );

    expect(await idsOf({ overdue: 'true' })).toEqual(sorted([pastOpen.id, pastWaiting.id]));
    expect(await idsOf({ overdue: 'false' })).toEqual(sorted([pastCompleted.id, pastCancelled.id, future.id, undated.id]));
    const counts = (await api.list(t.admin.auth, { overdue: 'true' })).counts;
    expect(counts).toEqual({ ...ZERO, all: 2, open: 1, waiting: 1 });

    const rows = (await api.list(t.admin.auth, { limit: '200' })).items;
    const overdueIds = rows.filter((r) => r.overdue).map((r) => r.id);
    expect(sorted(overdueIds)).toEqual(sorted([pastOpen.id, pastWaiting.id]));
  });
});

const SORT_ORDERS = [
  ['created', 'desc'],
  ['created', 'asc'],
  ['updated', 'desc'],
  ['updated', 'asc'],
  ['due', 'asc'],
  ['due', 'desc'],
  ['priority', 'desc'],
  ['priority', 'asc'],
] as const;
type SortName = (typeof SORT_ORDERS)[number][0];

/**
 * Eleven tasks with ties on every sort key: a batch shares created_at and
 * updated_at (one transaction), several share a due date, several a priority,
 * and two have no due date. Two are edited afterwards.
 */
async function seedSortable(tenant: TenantFixture): Promise<Row[]> {
  const tie = '2030-03-01T12:00:00.000Z';
  const batch = (
    await api.batch(tenant.apiKey.auth, [
      { title: 'b0', priority: 'high', dueAt: tie },
      { title: 'b1', priority: 'high', dueAt: tie },
      { title: 'b2', priority: 'low' },
      { title: 'b3', priority: 'urgent', dueAt: '2030-01-01T00:00:00.000Z' },
      { title: 'b4', priority: 'high', dueAt: tie },
      { title: 'b5', priority: 'medium' },
    ])
  ).json().tasks as Row[];
  const single = [
    await api.create(tenant.admin.auth, { title: 's0', priority: 'high', dueAt: '2029-12-31T00:00:00.000Z' }),
    await api.create(tenant.admin.auth, { title: 's1', dueAt: tie }),
    await api.create(tenant.admin.auth, { title: 's2', priority: 'urgent' }),
    await api.create(tenant.admin.auth, { title: 's3', priority: 'low', dueAt: '2031-01-01T00:00:00.000Z' }),
    await api.create(tenant.admin.auth, { title: 's4', priority: 'high' }),
  ];
  await api.patch(tenant.admin.auth, batch[2]!.id, { description: 'edited first' });
  await api.patch(tenant.admin.auth, single[0]!.id, { description: 'edited last' });
  return [...batch, ...single];
}

/** The order a sort must give, straight from the table (microsecond timestamps; ids break ties). */
async function expectedOrder(tenantId: string, sort: SortName, order: 'asc' | 'desc'): Promise<string[]> {
  const keys: Record<SortName, string[]> = {
    created: ['created_at', 'id'],
    updated: ['updated_at', 'id'],
    due: [`coalesce(due_at, 'infinity')`, 'id'],
    priority: [`array_position(array['low','medium','high','urgent'], priority)`, 'created_at', 'id'],
  };
  const orderBy = keys[sort].map((k) => `${k} ${order}`).join(', ');
  const rows = await h.sql.unsafe<{ id: string }[]>(
    `SELECT id FROM tasks WHERE tenant_id = $1 AND status <> 'archived' ORDER BY ${orderBy}`,
    [tenantId],
  );
  return ids(rows);
}

describe('sorts and keyset pages', () => {
  test('each sort orders rows as the Dashboard shows them; tasks without a due date come last in due order', async () => {
    const tasks = await seedSortable(t);
    const titles = async (query: Record<string, string>) => (await api.list(t.admin.auth, query)).items.map((i) => i.title);

    // The default: newest first; a batch's rows share one creation time.
    const created = await titles({});
    expect(created.slice(0, 5)).toEqual(['s4', 's3', 's2', 's1', 's0']);
    expect(sorted(created.slice(5))).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    expect((await titles({ sort: 'created', order: 'asc' })).slice(6)).toEqual(['s0', 's1', 's2', 's3', 's4']);

    const updated = await titles({ sort: 'updated' });
    expect(updated.slice(0, 2)).toEqual(['s0', 'b2']);
    expect((await titles({ sort: 'updated', order: 'asc' })).slice(-2)).toEqual(['b2', 's0']);

    const dueAsc = await titles({ sort: 'due' });
    expect(dueAsc.slice(0, 2)).toEqual(['s0', 'b3']);
    expect(sorted(dueAsc.slice(2, 6))).toEqual(['b0', 'b1', 'b4', 's1']);
    expect(dueAsc[6]).toBe('s3');
    expect(sorted(dueAsc.slice(7))).toEqual(['b2', 'b5', 's2', 's4']);
    const dueDesc = await titles({ sort: 'due', order: 'desc' });
    expect(dueDesc.slice(-2)).toEqual(['b3', 's0']);

    const priority = await titles({ sort: 'priority' });
    expect(priority.slice(0, 2)).toEqual(['s2', 'b3']); // urgent, newest first
    expect(priority.slice(2, 4)).toEqual(['s4', 's0']);
    expect(sorted(priority.slice(4, 7))).toEqual(['b0', 'b1', 'b4']);
    expect(priority.slice(7)).toEqual(['s1', 'b5', 's3', 'b2']);
    expect((await titles({ sort: 'priority', order: 'asc' })).slice(0, 2)).toEqual(['b2', 's3']);

    // Ties are broken by id, the same way every time.
    for (const [sort, order] of SORT_ORDERS) {
      expect(ids((await api.list(t.admin.auth, { sort, order })).items)).toEqual(await expectedOrder(t.tenantId, sort, order));
    }
    expect(tasks).toHaveLength(11);
  });

  test('walking every page with limit=2 returns every task exactly once, in order, for every sort', async () => {
    const tasks = await seedSortable(t);
    for (const [sort, order] of SORT_ORDERS) {
      const expected = await expectedOrder(t.tenantId, sort, order);
      const walked = await api.walk(t.admin.auth, { sort, order, limit: '2' });
      expect({ sort, order, ids: walked.ids }).toEqual({ sort, order, ids: expected });
      expect(walked.pages).toBe(Math.ceil(tasks.length / 2));
    }
    // The default order of each sort, without order=.
    for (const sort of ['created', 'updated', 'priority'] as const) {
      expect((await api.walk(t.admin.auth, { sort, limit: '2' })).ids).toEqual(await expectedOrder(t.tenantId, sort, 'desc'));
    }
    expect((await api.walk(t.admin.auth, { sort: 'due', limit: '2' })).ids).toEqual(await expectedOrder(t.tenantId, 'due', 'asc'));
  });

  test('pages follow the tab and filters, and an exact last page has no next cursor', async () => {
    const tasks = await seedSortable(t);
    const high = tasks.filter((x) => ['b0', 'b1', 'b4', 's0', 's4'].includes(x.title));
    await api.command(t.admin.auth, high[0]!.id, 'archive');
    const walked = await api.walk(t.admin.auth, { priority: 'high', sort: 'due', limit: '2' });
    expect(sorted(walked.ids)).toEqual(sorted(ids(high.slice(1))));
    expect(walked.pages).toBe(2);

    // Every page counts the whole filtered list, not what is left after the cursor.
    const first = await api.list(t.admin.auth, { priority: 'high', limit: '3' });
    const second = await api.list(t.admin.auth, { priority: 'high', limit: '3', cursor: first.nextCursor! });
    expect([first.items.length, second.items.length, second.nextCursor]).toEqual([3, 1, null]);
    expect(second.counts).toEqual(first.counts);
    expect(first.counts).toMatchObject({ all: 4, open: 4, archived: 1 });

    const archived = await api.walk(t.admin.auth, { tab: 'archived', limit: '1' });
    expect(archived).toEqual({ ids: [high[0]!.id], pages: 1 });

    for (const limit of ['0', '201']) await api.send('GET', '/v1/tasks', t.admin.auth, 400, { query: { limit } });
    const bad = await api.send('GET', '/v1/tasks', t.admin.auth, 400, { query: { cursor: 'not-a-cursor' } });
    expect(bad.json()).toMatchObject({ error: 'invalid_cursor' });
  });
});

describe('the Session badge', () => {
  test('— while open, Manual ✓ after a manual completion (kept when archived), — again once reopened or cancelled', async () => {
    const task = await api.create(t.admin.auth, { title: 'Badge' });
    const badge = async () => {
      const row = (await api.list(t.admin.auth, { tab: 'all', limit: '200' })).items.find((i) => i.id === task.id);
      const archivedRow = (await api.list(t.admin.auth, { tab: 'archived' })).items.find((i) => i.id === task.id);
      const r = row ?? archivedRow!;
      return [r.status, r.sessionBadge, r.completionSource];
    };
    expect(await badge()).toEqual(['open', 'none', null]);
    await api.command(t.admin.auth, task.id, 'complete');
    expect(await badge()).toEqual(['completed', 'manual', 'manual']);
    await api.command(t.admin.auth, task.id, 'archive');
    expect(await badge()).toEqual(['archived', 'manual', 'manual']);
    await api.command(t.admin.auth, task.id, 'reopen');
    expect(await badge()).toEqual(['open', 'none', null]);
    await api.command(t.admin.auth, task.id, 'status', { status: 'completed' });
    expect(await badge()).toEqual(['completed', 'manual', 'manual']);
    await api.command(t.admin.auth, task.id, 'status', { status: 'in_progress' });
    expect(await badge()).toEqual(['in_progress', 'none', null]);
    await api.command(t.admin.auth, task.id, 'cancel');
    expect(await badge()).toEqual(['cancelled', 'none', null]);
    await api.command(t.admin.auth, task.id, 'reopen');

    // A session running against the task shows In Progress.
    await h.sql`INSERT INTO sessions (tenant_id, task_id, engineer_id) VALUES (${t.tenantId}, ${task.id}, ${t.engineer.id})`;
    expect(await badge()).toEqual(['open', 'in_progress', null]);
  });
});

describe('GET /v1/me/tasks (device sync)', () => {
  /** A time after every change so far, as the database sees it. */
  async function syncPoint(): Promise<string> {
    const { since } = await firstRow(
      h.sql<{ since: Date }[]>`
        SELECT date_trunc('milliseconds', max(updated_at)) + interval '1 millisecond' AS since FROM tasks WHERE tenant_id = ${t.tenantId}`,
    );
    await eventually(async () => (await firstRow(h.sql<{ after: boolean }[]>`SELECT now() > ${since} AS after`)).after);
    return since.toISOString();
  }

  const sync = (query: Record<string, string> = {}) => api.send('GET', '/v1/me/tasks', t.engineer.auth, 200, { query }).then((r) => r.json());

  test("returns only the caller's assigned tasks changed since, oldest change first, page by page", async () => {
    const a = await api.create(t.admin.auth, { title: 'A', description: 'first', assigneeIds: [t.engineer.id] });
    const b = await api.create(t.admin.auth, { title: 'B', assigneeIds: [t.engineer.id, t.admin.id] });
    const c = await api.create(t.admin.auth, { title: 'C', assigneeIds: [t.admin.id] });
    const d = await api.create(t.admin.auth, { title: 'D', assigneeIds: [t.engineer.id] });

    const everything = await sync();
    expect(ids(everything.items)).toEqual([a.id, b.id, d.id]);
    expect(everything.items[0]).toMatchObject({ title: 'A', description: 'first', status: 'open' });
    expect(everything.nextCursor).toBeNull();

    const since = await syncPoint();
    expect(await sync({ updatedSince: since })).toEqual({ items: [], nextCursor: null });

    await api.patch(t.admin.auth, d.id, { priority: 'urgent' });
    await api.patch(t.admin.auth, c.id, { priority: 'urgent' }); // not the engineer's
    await api.command(t.engineer.auth, a.id, 'complete');
    await api.patch(t.admin.auth, b.id, { assigneeIds: [t.admin.id] }); // no longer the engineer's

    const changed = await sync({ updatedSince: since });
    expect(changed.items.map((i: Row) => [i.title, i.status, i.priority])).toEqual([
      ['D', 'open', 'urgent'],
      ['A', 'completed', 'medium'],
    ]);

    // A later change moves a task to the end.
    await api.patch(t.admin.auth, d.id, { title: 'D again' });
    const walked = await api.walk(t.engineer.auth, { updatedSince: since, limit: '1' }, '/v1/me/tasks');
    expect(walked).toEqual({ ids: [a.id, d.id], pages: 2 });

    const firstPage = await sync({ updatedSince: since, limit: '1' });
    expect(ids(firstPage.items)).toEqual([a.id]);
    expect(firstPage.nextCursor).toEqual(expect.any(String));
  });

  test('pages with ties on the change time, and refuses an API key', async () => {
    const created = (
      await api.batch(
        t.admin.auth,
        Array.from({ length: 5 }, (_, i) => ({ title: `Tied ${i}`, assigneeIds: [t.engineer.id] })),
      )
    ).json().tasks as Row[];
    const walked = await api.walk(t.engineer.auth, { limit: '2' }, '/v1/me/tasks');
    expect(walked.ids).toEqual(sorted(ids(created)));
    expect(walked.pages).toBe(3);

    await api.send('GET', '/v1/me/tasks', t.apiKey.auth, 403);
  });
});
