/**
 * The queries behind seed 001's views: Kanban (counts, status tabs, a move
 * in one call), the calendar (a month in one page of up to 1,000), the
 * mobile list (view=compact), and the filters "Show completed" and "Show
 * only assigned", with several assignees and tags set through the API.
 */
import { insertTasks } from '../../db/repositories/tasks';
import { expectError } from '../helpers/api-checks';
import type { Harness, TenantFixture } from '../helpers/harness';
import { addUser } from '../helpers/task-api';
import { type WorkspaceApi, workspaceSuite } from '../helpers/workspace-api';

let h: Harness;
let ws: WorkspaceApi;
let t: TenantFixture;
workspaceSuite((s) => ({ h, ws, t } = s));

const MAY = { dueAfter: '2026-05-01T00:00:00Z', dueBefore: '2026-06-01T00:00:00Z' };

/** Task rows written directly (no workflows): the calendar test is about the list query. */
async function tasksDue(dueAts: (string | null)[]): Promise<string[]> {
  const rows = await insertTasks(
    h.sql,
    t.tenantId,
    dueAts.map((dueAt, i) => ({ title: `Task ${i}`, source: 'api', dueAt })),
  );
  return rows.map((r) => r.id);
}

describe('calendar', () => {
  test("a month's query returns every task due in it, in one page of 600, sorted by due date", async () => {
    const start = Date.parse(MAY.dueAfter);
    const minutes = 31 * 24 * 60;
    // 600 tasks spread over May, the first exactly at its start; others around it.
    const may = await tasksDue(Array.from({ length: 600 }, (_, i) => new Date(start + Math.floor((i * minutes) / 600) * 60_000).toISOString()));
    await tasksDue(['2026-04-30T23:59:59.999Z', MAY.dueBefore, '2026-06-15T09:00:00Z', null, null]);

    const page = await ws.tasks.list(t.admin.auth, { ...MAY, sort: 'due', limit: '1000' });
    expect(page.items).toHaveLength(600);
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((i) => i.id).sort()).toEqual([...may].sort());
    const dues = page.items.map((i) => Date.parse(i.dueAt as string));
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    expect(page.counts).toMatchObject({ all: 600, open: 600 });

    // The same month in pages of 250 walks the same tasks.
    const walked = await ws.tasks.walk(t.admin.auth, { ...MAY, sort: 'due', limit: '250' });
    expect(walked).toEqual({ ids: page.items.map((i) => i.id), pages: 3 });
  });

  test('a limit above 200 needs both ends of a due-date range', async () => {
    const queries: Record<string, string>[] = [
      { limit: '201' },
      { limit: '1000', dueAfter: MAY.dueAfter },
      { limit: '1000', dueBefore: MAY.dueBefore },
    ];
    for (const query of queries) {
      const res = await h.app.inject({ url: '/v1/tasks', query, headers: t.admin.auth });
      expectError(res, 400, 'bad_request', /limit above 200 needs both dueAfter and dueBefore/);
      expect(res.json().details).toEqual([{ path: 'querystring.limit', message: expect.any(String) }]);
    }
    expectError(await h.app.inject({ url: '/v1/tasks', query: { ...MAY, limit: '1001' }, headers: t.admin.auth }), 400, 'validation_failed');
  });
});

describe('mobile list', () => {
  test('view=compact rows carry only id, title, status, priority, due date, overdue and assignee names; default rows no description', async () => {
    await ws.tasks.create(t.admin.auth, {
      title: 'Compact me',
      description: 'A long body the mobile list does not need',
      dueAt: '2020-01-01T09:00:00Z',
      assigneeIds: [t.engineer.id],
      tags: ['x'],
    });
    const compact = await ws.tasks.list(t.engineer.auth, { view: 'compact' });
    expect(compact.items).toEqual([
      {
        id: expect.any(String),
        title: 'Compact me',
        status: 'open',
        priority: 'medium',
        dueAt: '2020-01-01T09:00:00.000Z',
        dueDate: null,
        overdue: true,
        assignees: [{ id: t.engineer.id, name: 'Eddie Engineer' }],
      },
    ]);
    expect(compact.counts).toMatchObject({ all: 1 });
    const full = await ws.tasks.list(t.engineer.auth, {});
    expect(full.items[0]).toMatchObject({ tags: ['x'], sessionBadge: 'none', assignees: [{ email: expect.any(String) }] });
    expect(full.items[0]).not.toHaveProperty('description');
    expectError(await h.app.inject({ url: '/v1/tasks?view=tiny', headers: t.admin.auth }), 400, 'validation_failed');
  });
});

describe('Kanban and filters', () => {
  test('moving a card is one call that returns the new state; counts per status follow', async () => {
    const task = await ws.tasks.create(t.admin.auth, { title: 'Card', assigneeIds: [t.engineer.id] });
    const moved = await ws.tasks.command(t.engineer.auth, task.id, 'status', { status: 'in_progress' });
    expect(moved.json()).toMatchObject({ id: task.id, status: 'in_progress' });
    const board = await ws.tasks.list(t.engineer.auth, { tab: 'in_progress' });
    expect(board.items.map((i) => i.id)).toEqual([task.id]);
    expect(board.counts).toMatchObject({ all: 1, open: 0, in_progress: 1 });
    expect((await ws.tasks.command(t.engineer.auth, task.id, 'status', { status: 'completed' })).json()).toMatchObject({
      status: 'completed',
      sessionBadge: 'manual',
    });
  });

  test('hideCompleted=true leaves completed tasks out of rows and counts; by default they are listed', async () => {
    const open = await ws.tasks.taskIn(t, 'open');
    const done = await ws.tasks.taskIn(t, 'completed');
    const cancelled = await ws.tasks.taskIn(t, 'cancelled');
    const all = await ws.tasks.list(t.admin.auth, {});
    expect(all.items.map((i) => i.id).sort()).toEqual([open.id, done.id, cancelled.id].sort());
    expect(all.counts).toMatchObject({ all: 3, completed: 1 });
    const hidden = await ws.tasks.list(t.admin.auth, { hideCompleted: 'true' });
    expect(hidden.items.map((i) => i.id).sort()).toEqual([open.id, cancelled.id].sort());
    expect(hidden.counts).toMatchObject({ all: 2, completed: 0, cancelled: 1 });
    expect(await ws.listed(t.admin.auth, { hideCompleted: 'false' })).toHaveLength(3);
  });

  test('several assignees and tags are set on create and edit; assignee=me and tag filter on them', async () => {
    const zed = await addUser(h, t.tenantId, 'Zed Zebra');
    const both = await ws.tasks.create(t.admin.auth, { title: 'Both', assigneeIds: [t.engineer.id, zed.id], tags: ['guest', 'urgent-call'] });
    const zedOnly = await ws.tasks.create(t.admin.auth, { title: 'Zed', assigneeIds: [zed.id], tags: ['guest'] });
    await ws.tasks.create(t.admin.auth, { title: 'Nobody' });

    expect(await ws.listed(t.engineer.auth, { assignee: 'me' })).toEqual([both.id]);
    expect((await ws.listed(zed.auth, { assignee: 'me' })).sort()).toEqual([both.id, zedOnly.id].sort());
    expect((await ws.listed(t.admin.auth, { tag: 'guest' })).sort()).toEqual([both.id, zedOnly.id].sort());
    expect(await ws.listed(zed.auth, { assignee: 'me', tag: 'urgent-call' })).toEqual([both.id]);

    const edited = await ws.tasks.patch(t.admin.auth, zedOnly.id, { assigneeIds: [t.engineer.id, zed.id], tags: ['vip'] });
    expect(edited.assignees).toHaveLength(2);
    expect(edited.tags).toEqual(['vip']);
    expect((await ws.listed(t.engineer.auth, { assignee: 'me' })).sort()).toEqual([both.id, zedOnly.id].sort());
    expect(await ws.listed(t.admin.auth, { tag: 'vip' })).toEqual([zedOnly.id]);
  });
});
