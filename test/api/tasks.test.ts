import { taskWorkflowId } from '../../domain/ids';
import { TaskIdAttr, TenantIdAttr } from '../../domain/search-attributes';
import { type Harness, type TenantFixture, createTenantFixture, firstRow, startHarness } from '../helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

async function createTask(t: TenantFixture, body: Record<string, unknown>) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/tasks', headers: t.admin.auth, payload: body });
  expect(res.statusCode).toBe(201);
  return res.json();
}

describe('the Dashboard flow', () => {
  let t: TenantFixture;
  beforeEach(async () => {
    t = await createTenantFixture(h.sql);
  });

  test('a created task is listed with counts, runs its workflow, and completing it shows Manual ✓', async () => {
    const task = await createTask(t, { title: 'Boiler service', priority: 'high', assigneeIds: [t.engineer.id] });
    expect(task).toMatchObject({
      title: 'Boiler service',
      status: 'open',
      priority: 'high',
      sessionBadge: 'none',
      source: { type: 'manual', provider: null },
      assignees: [{ id: t.engineer.id, name: 'Eddie Engineer' }],
    });

    const list = (await h.app.inject({ url: '/v1/tasks', headers: t.admin.auth })).json();
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([task.id]);
    expect(list.counts).toEqual({ all: 1, open: 1, in_progress: 0, waiting: 0, completed: 0, cancelled: 0, archived: 0 });

    const description = await h.client.workflow.getHandle(taskWorkflowId(task.id)).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.get(TenantIdAttr)).toBe(t.tenantId);
    expect(description.typedSearchAttributes.get(TaskIdAttr)).toBe(task.id);

    const done = await h.app.inject({ method: 'POST', url: `/v1/tasks/${task.id}/complete`, headers: t.admin.auth });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ status: 'completed', completionSource: 'manual', sessionBadge: 'manual' });

    const again = await h.app.inject({ method: 'POST', url: `/v1/tasks/${task.id}/complete`, headers: t.admin.auth });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ error: 'invalid_transition', message: 'task is already completed' });

    const counts = (await h.app.inject({ url: '/v1/tasks', headers: t.admin.auth })).json().counts;
    expect(counts).toMatchObject({ all: 1, open: 0, completed: 1 });
  });

  test('a bulk archive of 200 tasks lands whole', async () => {
    const batch = await h.app.inject({
      method: 'POST',
      url: '/v1/tasks/batch',
      headers: t.apiKey.auth,
      payload: { tasks: Array.from({ length: 200 }, (_, i) => ({ title: `Job ${i}` })) },
    });
    expect(batch.statusCode).toBe(201);
    const ids: string[] = batch.json().tasks.map((x: { id: string }) => x.id);
    expect(ids).toHaveLength(200);

    const bulk = await h.app.inject({ method: 'POST', url: '/v1/tasks/bulk', headers: t.admin.auth, payload: { action: 'archive', ids } });
    expect(bulk.statusCode).toBe(200);
    expect(bulk.json()).toMatchObject({ action: 'archive', succeeded: 200, failed: 0 });

    const counts = (await h.app.inject({ url: '/v1/tasks', headers: t.admin.auth })).json().counts;
    expect(counts).toMatchObject({ all: 0, archived: 200 });
    const { n } = await firstRow(h.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM task_events WHERE tenant_id = ${t.tenantId} AND type = 'task.archived'`);
    expect(n).toBe(200);
  });

  test('an 11 MB attachment gets 413 and nothing is stored', async () => {
    const task = await createTask(t, { title: 'With files' });
    const boundary = 'x-boundary';
    const part = (name: string, size: number) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
        Buffer.alloc(size, 7),
        Buffer.from('\r\n'),
      ]);
    const upload = (parts: Buffer[]) =>
      h.app.inject({
        method: 'POST',
        url: `/v1/tasks/${task.id}/attachments`,
        headers: { ...t.admin.auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
      });

    const tooBig = await upload([part('small.txt', 1000), part('big.bin', 11 * 1024 * 1024)]);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.json()).toMatchObject({ error: 'file_too_large' });
    const { n } = await firstRow(h.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM attachments WHERE task_id = ${task.id}`);
    expect(n).toBe(0);

    const ok = await upload([part('a.txt', 10), part('b.bin', 2048)]);
    expect(ok.statusCode).toBe(201);
    const [first] = ok.json().attachments;
    const download = await h.app.inject({ url: first.url, headers: t.admin.auth });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload).toEqual(Buffer.alloc(10, 7));
  });

  test("another tenant's token gets 404 and never the task", async () => {
    const task = await createTask(t, { title: 'Secret' });
    const other = await createTenantFixture(h.sql, 'Other');
    const res = await h.app.inject({ url: `/v1/tasks/${task.id}`, headers: other.admin.auth });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('Secret');
  });
});
