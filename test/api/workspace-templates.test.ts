/**
 * Seed 001's task templates: CRUD with every field, files stored once and
 * copied to each task, and POST /v1/tasks/from-template/:templateId creating
 * a task as POST /v1/tasks does (events, lifecycle workflow), with the due
 * offset applied in the tenant's time zone.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { taskBlobPrefix } from '../../blob/blob-store';
import { templateBlobPrefix } from '../../db/repositories/task-templates';
import { nowPlus } from '../../db/repositories/tenants';
import { taskWorkflowId } from '../../domain/ids';
import { taskStateQuery } from '../../domain/messages';
import { expectError } from '../helpers/api-checks';
import { type Harness, type TenantFixture, eventually, firstRow } from '../helpers/harness';
import { addUser, eventsOf } from '../helpers/task-api';
import { setTimeZone, type WorkspaceApi, workspaceRows, workspaceSuite } from '../helpers/workspace-api';

let h: Harness;
let ws: WorkspaceApi;
let t: TenantFixture;
workspaceSuite((s) => ({ h, ws, t } = s));

const FILES = [
  { filename: 'checklist.txt', content: 'Step 1: call. Step 2: send the proposal.' },
  { filename: 'price-list.txt', content: 'Room hire: 400' },
];

async function download(url: string, auth: { authorization: string }): Promise<string> {
  return (await ws.tasks.send('GET', url, auth, 200)).body;
}

/** A template with every field seed 001 lists, and two files. */
async function fullTemplate() {
  const zed = await addUser(h, t.tenantId, 'Zed Zebra');
  const customer = await ws.customer(t.admin.auth, { name: 'Harbour Hotels' });
  const project = await ws.project(t.admin.auth, { name: 'Sponsor onboarding' });
  const milestone = await ws.milestone(t.admin.auth, project.id, { name: 'Contract signed' });
  const template = await ws.template(t.admin.auth, {
    name: 'Post-call follow-up',
    title: 'Send the proposal',
    description: 'Attach the price list.',
    status: 'in_progress',
    dueOffset: '+2 days',
    priority: 'high',
    private: true,
    tags: ['follow-up', 'sales'],
    assigneeIds: [t.engineer.id, zed.id],
    customerId: customer.id,
    milestoneId: milestone.id,
  });
  await ws.templateFiles(t.admin.auth, template.id, FILES);
  return { template: await ws.get(`/v1/task-templates/${template.id}`, t.engineer.auth), customer, project, milestone, zed };
}

describe('POST /v1/tasks/from-template/:templateId', () => {
  test("creates the task with the template's status, assignees, tags, files, context and due offset, its workflow running", async () => {
    await setTimeZone(h, t.tenantId, 'Europe/Berlin');
    const { template, customer, project, milestone, zed } = await fullTemplate();
    expect(template).toMatchObject({
      status: 'in_progress',
      dueOffset: '+2 days',
      projectId: project.id,
      milestoneId: milestone.id,
      assignees: [
        { id: t.engineer.id, name: 'Eddie Engineer' },
        { id: zed.id, name: 'Zed Zebra' },
      ],
      // Uploaded together, files are listed by name.
      files: FILES.map((f) => ({ filename: f.filename, contentType: 'text/plain', sizeBytes: f.content.length })),
    });

    const task = await ws.fromTemplate(t.admin.auth, template.id);
    expect(task).toMatchObject({
      title: 'Send the proposal',
      description: 'Attach the price list.',
      status: 'in_progress',
      priority: 'high',
      private: true,
      tags: ['follow-up', 'sales'],
      customerId: customer.id,
      projectId: project.id,
      milestoneId: milestone.id,
      dueDate: null,
      source: { type: 'manual' },
      assignees: [
        { id: t.engineer.id, name: 'Eddie Engineer' },
        { id: zed.id, name: 'Zed Zebra' },
      ],
    });

    // Due = creation time + 2 calendar days on Berlin's wall clock.
    const due = await firstRow(h.sql<{ expected: Date; dueAt: Date }[]>`
      SELECT due_at,
        date_trunc('milliseconds', ((created_at AT TIME ZONE 'Europe/Berlin') + interval '2 days') AT TIME ZONE 'Europe/Berlin') AS expected
      FROM tasks WHERE id = ${task.id}`);
    expect(due.dueAt).toEqual(due.expected);

    // The files are copies under the task's own prefix, with the same bytes.
    const attachments = (task.attachments as { filename: string; url: string; id: string }[]).sort((a, b) => a.filename.localeCompare(b.filename));
    expect(attachments.map((a) => a.filename)).toEqual(FILES.map((f) => f.filename));
    for (const [i, a] of attachments.entries()) expect(await download(a.url, t.engineer.auth)).toBe(FILES[i]!.content);
    const keys = await h.sql<{ blobKey: string }[]>`SELECT blob_key FROM attachments WHERE task_id = ${task.id}`;
    expect(keys.every((k) => k.blobKey.startsWith(taskBlobPrefix(t.tenantId, task.id)))).toBe(true);

    const handle = h.client.workflow.getHandle(taskWorkflowId(task.id));
    expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(await handle.query(taskStateQuery)).toMatchObject({ status: 'in_progress', dueAt: new Date(task.dueAt as string).toISOString() });
    // Written in one transaction, they share a time: no order between them.
    const events = await eventsOf(h, task.id);
    expect(events.map((e) => e.type).sort()).toEqual(['task.attachments_added', 'task.created']);
    expect(events.find((e) => e.type === 'task.created')!.data).toMatchObject({ templateId: template.id, status: 'in_progress' });
    expect(await eventually(async () => (await h.sql`SELECT 1 FROM tasks WHERE id = ${task.id} AND workflow_started_at IS NOT NULL`).length)).toBe(1);

    // The lifecycle goes on from there: a Kanban move to waiting.
    expect((await ws.tasks.command(t.engineer.auth, task.id, 'status', { status: 'waiting' })).json()).toMatchObject({ status: 'waiting' });

    // Deleting the template leaves the task its copies.
    await ws.tasks.send('DELETE', `/v1/task-templates/${template.id}`, t.admin.auth, 204);
    expect(existsSync(path.join(h.config.blobDir, templateBlobPrefix(t.tenantId, template.id)))).toBe(false);
    expect(await download(attachments[0]!.url, t.admin.auth)).toBe(FILES[0]!.content);
  });

  test('overrides replace the defaults; project and milestone go together; an API key creates an api task', async () => {
    const { template, project } = await fullTemplate();
    const other = await ws.project(t.admin.auth, { name: 'Other' });
    const task = await ws.fromTemplate(t.apiKey.auth, template.id, {
      title: 'Send the proposal to Harbour Hotels',
      status: 'open',
      dueDate: '2030-01-15',
      assigneeIds: [],
      tags: [],
      private: false,
      projectId: other.id,
    });
    expect(task).toMatchObject({
      title: 'Send the proposal to Harbour Hotels',
      status: 'open',
      dueDate: '2030-01-15',
      dueAt: '2030-01-16T00:00:00.000Z',
      assignees: [],
      tags: [],
      private: false,
      priority: 'high',
      projectId: other.id,
      milestoneId: null,
      source: { type: 'api' },
    });
    expect(task.projectId).not.toBe(project.id);

    const plain = await ws.template(t.admin.auth, { title: 'No offset' });
    expect(await ws.fromTemplate(t.admin.auth, plain.id)).toMatchObject({ title: 'No offset', status: 'open', dueAt: null, attachments: [] });
    expectError(
      await h.app.inject({ method: 'POST', url: `/v1/tasks/from-template/${plain.id}`, headers: t.engineer.auth, payload: {} }),
      403,
      'forbidden',
    );
  });

  test('a refused task leaves nothing behind: no row, no event, no copied file', async () => {
    const { template } = await fullTemplate();
    const before = await workspaceRows(h, t.tenantId);
    const url = `/v1/tasks/from-template/${template.id}`;
    const other = await ws.project(t.admin.auth, { name: 'Other' });
    const afterProject = await workspaceRows(h, t.tenantId);
    const cases: [Record<string, unknown>, string][] = [
      [{ milestoneId: '00000000-0000-4000-8000-000000000000' }, 'unknown_reference'],
      [{ projectId: other.id, milestoneId: template.milestoneId }, 'invalid_milestone'],
      [{ dueAt: '2030-01-01T00:00:00Z', dueDate: '2030-01-01' }, 'bad_request'],
      [{ assigneeIds: ['00000000-0000-4000-8000-000000000000'] }, 'unknown_reference'],
      [{ status: 'completed' }, 'validation_failed'],
    ];
    for (const [payload, error] of cases) {
      expectError(await h.app.inject({ method: 'POST', url, headers: t.admin.auth, payload }), 400, error);
    }
    expect(await workspaceRows(h, t.tenantId)).toEqual(afterProject);
    expect(afterProject.tasks).toEqual(before.tasks);
    expect(afterProject.files).toEqual(before.files);
  });
});

describe('task template CRUD', () => {
  test('admins create, edit and delete templates and their files; everyone reads', async () => {
    const template = await ws.template(t.admin.auth, { name: 'Contact form', title: 'Answer the contact form', dueOffset: '+3 hours' });
    expect(template).toMatchObject({ status: 'open', priority: 'medium', dueOffset: '+3 hours', assignees: [], files: [], tags: [] });

    const edited = await ws.patch(`/v1/task-templates/${template.id}`, t.admin.auth, {
      dueOffset: '+7 days',
      assigneeIds: [t.engineer.id],
      status: 'waiting',
    });
    expect(edited).toMatchObject({ dueOffset: '+1 week', status: 'waiting', assignees: [{ id: t.engineer.id }] });
    expect(await ws.patch(`/v1/task-templates/${template.id}`, t.admin.auth, { dueOffset: null })).toMatchObject({ dueOffset: null });
    expect(await ws.patch(`/v1/task-templates/${template.id}`, t.admin.auth, { dueOffset: '1 month, 2 days 3 hours 30 minutes' })).toMatchObject({
      dueOffset: '+1 month 2 days 3 hours 30 minutes',
    });

    const [first, second] = await ws.templateFiles(t.admin.auth, template.id, FILES);
    expect(await download(first!.url, t.engineer.auth)).toBe(FILES[0]!.content);
    await ws.tasks.send('DELETE', second!.url, t.admin.auth, 204);
    await ws.tasks.send('GET', second!.url, t.admin.auth, 404);
    expect((await ws.get(`/v1/task-templates/${template.id}`, t.engineer.auth)).files.map((f: { id: string }) => f.id)).toEqual([first!.id]);

    const list = await ws.get('/v1/task-templates', t.engineer.auth, { q: 'contact' });
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([template.id]);

    for (const [method, url, payload] of [
      ['POST', '/v1/task-templates', { name: 'X', title: 'X' }],
      ['PATCH', `/v1/task-templates/${template.id}`, { title: 'X' }],
      ['DELETE', `/v1/task-templates/${template.id}`, undefined],
      ['DELETE', first!.url, undefined],
    ] as const) {
      expectError(await h.app.inject({ method, url, headers: t.engineer.auth, ...(payload ? { payload } : {}) }), 403, 'forbidden');
    }

    expectError(
      await h.app.inject({ method: 'POST', url: '/v1/task-templates', headers: t.admin.auth, payload: { name: 'Contact form', title: 'Again' } }),
      409,
      'already_exists',
    );
    await ws.tasks.send('DELETE', `/v1/task-templates/${template.id}`, t.admin.auth, 204);
    await ws.tasks.send('GET', `/v1/task-templates/${template.id}`, t.admin.auth, 404);
  });

  test('a due offset that is not a positive duration is a 400 naming dueOffset; nothing is written', async () => {
    const template = await ws.template(t.admin.auth, { dueOffset: '+1 day' });
    const before = await workspaceRows(h, t.tenantId);
    for (const dueOffset of ['+2 dayz', '-1 day', '0 days', 'tomorrow', '+1', '2 days ago', '+99999 weeks', '+1 day -2 hours']) {
      for (const [method, url, payload] of [
        ['POST', '/v1/task-templates', { name: 'Bad', title: 'Bad', dueOffset }],
        ['PATCH', `/v1/task-templates/${template.id}`, { dueOffset }],
      ] as const) {
        const res = await h.app.inject({ method, url, headers: t.admin.auth, payload });
        expectError(res, 400, 'bad_request', /dueOffset .* is not a positive duration like "\+2 days"/);
        expect(res.json().details).toEqual([{ path: 'body.dueOffset', message: expect.any(String) }]);
      }
    }
    expect(await workspaceRows(h, t.tenantId)).toEqual(before);
  });
});

describe('due offsets in the time zone', () => {
  test('days and months are calendar ones on the wall clock across a DST change; hours are elapsed time', async () => {
    await setTimeZone(h, t.tenantId, 'Europe/Berlin');
    // Berlin moves to summer time on 29 March 2026 at 02:00: that day has 23 hours.
    const from = '2026-03-28T10:00:00Z'; // 11:00 in Berlin
    const plus = (o: Partial<{ months: number; days: number; hours: number; minutes: number }>, start = from) =>
      nowPlus(h.sql, t.tenantId, { months: 0, days: 0, hours: 0, minutes: 0, ...o }, start);
    expect((await plus({ days: 1 })).toISOString()).toBe('2026-03-29T09:00:00.000Z'); // 11:00 summer time
    expect((await plus({ hours: 24 })).toISOString()).toBe('2026-03-29T10:00:00.000Z'); // 12:00 summer time
    expect((await plus({ days: 7 })).toISOString()).toBe('2026-04-04T09:00:00.000Z');
    expect((await plus({ months: 1 }, '2026-01-31T10:00:00Z')).toISOString()).toBe('2026-02-28T10:00:00.000Z');
  });
});
