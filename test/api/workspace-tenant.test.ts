/**
 * The tenant's time zone (GET / PATCH /v1/tenant) and what follows it:
 * date-only due dates (dueDate) end at midnight in that zone, so "overdue"
 * holds at day granularity in the list and in the lifecycle workflow.
 */
import { taskWorkflowId } from '../../domain/ids';
import { taskStateQuery } from '../../domain/messages';
import { expectError } from '../helpers/api-checks';
import { type Harness, type TenantFixture, eventually } from '../helpers/harness';
import { eventsOf } from '../helpers/task-api';
import { setTimeZone, type WorkspaceApi, workspaceRows, workspaceSuite } from '../helpers/workspace-api';

let h: Harness;
let ws: WorkspaceApi;
let t: TenantFixture;
workspaceSuite((s) => ({ h, ws, t } = s));

/** The calendar date in the zone, `days` from now. */
function dateIn(timeZone: string, days = 0): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(Date.now() + days * 86_400_000);
}

const stateOf = (taskId: string) => h.client.workflow.getHandle(taskWorkflowId(taskId)).query(taskStateQuery);

describe('GET and PATCH /v1/tenant', () => {
  test('every user reads the tenant; an admin sets a valid IANA zone, stored by its canonical name', async () => {
    for (const auth of [t.admin.auth, t.engineer.auth, t.apiKey.auth]) {
      expect(await ws.get('/v1/tenant', auth)).toMatchObject({ id: t.tenantId, timeZone: 'UTC' });
    }
    expect(await ws.patch('/v1/tenant', t.admin.auth, { timeZone: 'europe/berlin' })).toMatchObject({ timeZone: 'Europe/Berlin' });
    expect(await ws.patch('/v1/tenant', t.admin.auth, { name: 'Harbour Events' })).toMatchObject({
      name: 'Harbour Events',
      timeZone: 'Europe/Berlin',
    });
  });

  test('an unknown zone is a 400 naming timeZone; engineers and API keys get 403; nothing changes', async () => {
    const before = await workspaceRows(h, t.tenantId);
    for (const timeZone of ['Mars/Olympus_Mons', 'UTC+25', '', 'Europe/Berlin; DROP TABLE tenants']) {
      const res = await h.app.inject({ method: 'PATCH', url: '/v1/tenant', headers: t.admin.auth, payload: { timeZone } });
      expect(res.statusCode).toBe(400);
      expect(res.json().details[0].path).toBe('body.timeZone');
    }
    expectError(await h.app.inject({ method: 'PATCH', url: '/v1/tenant', headers: t.admin.auth, payload: {} }), 400, 'validation_failed');
    for (const auth of [t.engineer.auth, t.apiKey.auth]) {
      expectError(await h.app.inject({ method: 'PATCH', url: '/v1/tenant', headers: auth, payload: { timeZone: 'Asia/Tokyo' } }), 403, 'forbidden');
    }
    expect(await workspaceRows(h, t.tenantId)).toEqual(before);
  });
});

describe('date-only due dates', () => {
  test('a dueDate ends at midnight in the tenant zone, on create, batch and edit; dueAt and dueDate are exclusive', async () => {
    await setTimeZone(h, t.tenantId, 'America/New_York');
    const summer = await ws.tasks.create(t.admin.auth, { title: 'Summer', dueDate: '2030-05-01' });
    expect(summer).toMatchObject({ dueDate: '2030-05-01', dueAt: '2030-05-02T04:00:00.000Z', overdue: false });
    const [winter] = (await ws.tasks.batch(t.apiKey.auth, [{ title: 'Winter', dueDate: '2030-01-15' }])).json().tasks;
    expect(winter).toMatchObject({ dueAt: '2030-01-16T05:00:00.000Z' });
    expect(await ws.tasks.get(t.admin.auth, winter.id)).toMatchObject({ dueDate: '2030-01-15' });

    const timed = await ws.tasks.patch(t.admin.auth, summer.id, { dueAt: '2030-05-01T15:00:00Z' });
    expect(timed).toMatchObject({ dueDate: null, dueAt: '2030-05-01T15:00:00.000Z' });
    expect(await ws.tasks.patch(t.admin.auth, summer.id, { dueDate: '2030-06-30' })).toMatchObject({
      dueDate: '2030-06-30',
      dueAt: '2030-07-01T04:00:00.000Z',
    });
    expect(await ws.tasks.patch(t.admin.auth, summer.id, { dueDate: null })).toMatchObject({ dueDate: null, dueAt: null });

    const before = await workspaceRows(h, t.tenantId);
    for (const payload of [
      { title: 'Both', dueDate: '2030-05-01', dueAt: '2030-05-01T09:00:00Z' },
      { title: 'Not a day', dueDate: '2030-02-30' },
      { title: 'Not a date', dueDate: '1 May' },
    ]) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/tasks', headers: t.admin.auth, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/dueDate/);
    }
    expect(await workspaceRows(h, t.tenantId)).toEqual(before);
  });

  test('a task due yesterday in the tenant zone is overdue, in the list and in its workflow; one due today is not', async () => {
    const zone = 'Pacific/Auckland';
    await setTimeZone(h, t.tenantId, zone);
    const yesterday = await ws.tasks.create(t.admin.auth, { title: 'Yesterday', dueDate: dateIn(zone, -1) });
    const today = await ws.tasks.create(t.admin.auth, { title: 'Today', dueDate: dateIn(zone) });
    const rows = (await ws.tasks.list(t.admin.auth, { sort: 'due' })).items;
    expect(rows.map((r) => [r.title, r.overdue])).toEqual([
      ['Yesterday', true],
      ['Today', false],
    ]);
    expect(await ws.listed(t.admin.auth, { overdue: 'true' })).toEqual([yesterday.id]);

    // The lifecycle workflow's timer uses the same instant.
    await eventually(async () => (await stateOf(yesterday.id)).overdue);
    expect((await eventsOf(h, yesterday.id)).map((e) => e.type)).toContain('task.overdue');
    expect(await stateOf(today.id)).toMatchObject({ overdue: false, dueAt: today.dueAt });
  });

  test("a new zone moves date-only due dates to the new zone's midnight, and their workflows follow", async () => {
    const dated = await ws.tasks.create(t.admin.auth, { title: 'Dated', dueDate: '2030-05-01' });
    const timed = await ws.tasks.create(t.admin.auth, { title: 'Timed', dueAt: '2030-05-01T12:00:00Z' });
    expect(dated.dueAt).toBe('2030-05-02T00:00:00.000Z');

    await ws.patch('/v1/tenant', t.admin.auth, { timeZone: 'Asia/Tokyo' });
    expect(await ws.tasks.get(t.admin.auth, dated.id)).toMatchObject({ dueDate: '2030-05-01', dueAt: '2030-05-01T15:00:00.000Z' });
    expect(await ws.tasks.get(t.admin.auth, timed.id)).toMatchObject({ dueDate: null, dueAt: '2030-05-01T12:00:00.000Z' });
    await eventually(async () => (await stateOf(dated.id)).dueAt === '2030-05-01T15:00:00.000Z');
  });
});
