/**
 * Seed 001's projects and milestones: CRUD, the project and milestone
 * filters of the task list, task counts in the details, the rule that a
 * task's milestone is one of its project, and references to another tenant.
 */
import { randomUUID } from 'node:crypto';
import { expectError } from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture } from '../helpers/harness';
import { type WorkspaceApi, workspaceRows, workspaceSuite } from '../helpers/workspace-api';

let h: Harness;
let ws: WorkspaceApi;
let t: TenantFixture;
workspaceSuite((s) => ({ h, ws, t } = s));

async function projectWithMilestones() {
  const customer = await ws.customer(t.admin.auth, { name: 'Conference client' });
  const project = await ws.project(t.admin.auth, { name: 'Spring conference', description: 'Venue and speakers', customerId: customer.id });
  const venue = await ws.milestone(t.admin.auth, project.id, { name: 'Venue booked', dueDate: '2026-02-15' });
  const speakers = await ws.milestone(t.admin.auth, project.id, { name: 'Speakers confirmed', dueDate: '2026-01-31' });
  const undated = await ws.milestone(t.admin.auth, project.id, { name: 'Retrospective' });
  return { customer, project, venue, speakers, undated };
}

describe('projects and milestones', () => {
  test('a project lists its milestones, next due first; details and filters count and list their tasks', async () => {
    const { customer, project, venue, speakers, undated } = await projectWithMilestones();
    expect(project).toMatchObject({ name: 'Spring conference', customerId: customer.id, milestones: [], taskCounts: { all: 0 } });
    expect(venue).toMatchObject({ projectId: project.id, dueDate: '2026-02-15', taskCounts: { all: 0 } });

    const inVenue = await ws.tasks.create(t.admin.auth, { title: 'Sign the venue contract', milestoneId: venue.id });
    // The milestone sets the project.
    expect(inVenue).toMatchObject({ projectId: project.id, milestoneId: venue.id });
    const inProject = await ws.tasks.create(t.admin.auth, { title: 'Print badges', projectId: project.id });
    await ws.tasks.command(t.admin.auth, inProject.id, 'complete');
    await ws.tasks.create(t.admin.auth, { title: 'Elsewhere' });

    const detail = await ws.get(`/v1/projects/${project.id}`, t.engineer.auth);
    expect(detail.milestones.map((m: { id: string }) => m.id)).toEqual([speakers.id, venue.id, undated.id]);
    expect(detail.taskCounts).toMatchObject({ all: 2, open: 1, completed: 1 });
    expect((await ws.get(`/v1/milestones/${venue.id}`, t.engineer.auth)).taskCounts).toMatchObject({ all: 1, open: 1 });
    expect((await ws.get(`/v1/projects/${project.id}/milestones`, t.apiKey.auth)).items).toHaveLength(3);

    expect((await ws.listed(t.admin.auth, { projectId: project.id })).sort()).toEqual([inVenue.id, inProject.id].sort());
    expect(await ws.listed(t.admin.auth, { milestoneId: venue.id })).toEqual([inVenue.id]);
    const other = await createTenantFixture(h.sql, 'Other');
    expect(await ws.listed(other.admin.auth, { projectId: project.id })).toEqual([]);
    expect(await ws.listed(other.admin.auth, { milestoneId: venue.id })).toEqual([]);
    expect(await ws.listed(t.admin.auth, { projectId: project.id, hideCompleted: 'true' })).toEqual([inVenue.id]);

    const projects = await ws.get('/v1/projects', t.engineer.auth, { customerId: customer.id });
    expect(projects.items.map((p: { id: string }) => p.id)).toEqual([project.id]);
    expect((await ws.get('/v1/projects', t.engineer.auth, { q: 'SPRING' })).items).toHaveLength(1);
    expect((await ws.get('/v1/projects', t.engineer.auth, { q: 'autumn' })).items).toHaveLength(0);
  });

  test('admins edit and delete; deleting a milestone or a project leaves its tasks', async () => {
    const { project, venue, speakers } = await projectWithMilestones();
    expect(await ws.patch(`/v1/projects/${project.id}`, t.admin.auth, { customerId: null, name: 'Spring conf.' })).toMatchObject({
      name: 'Spring conf.',
      customerId: null,
    });
    expect(await ws.patch(`/v1/milestones/${venue.id}`, t.admin.auth, { dueDate: null })).toMatchObject({ dueDate: null, projectId: project.id });
    for (const [method, url] of [
      ['PATCH', `/v1/projects/${project.id}`],
      ['DELETE', `/v1/projects/${project.id}`],
      ['POST', `/v1/projects/${project.id}/milestones`],
      ['PATCH', `/v1/milestones/${venue.id}`],
      ['DELETE', `/v1/milestones/${venue.id}`],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: t.engineer.auth, ...(method === 'DELETE' ? {} : { payload: { name: 'X' } }) });
      expectError(res, 403, 'forbidden');
    }

    const task = await ws.tasks.create(t.admin.auth, { title: 'Book the venue', milestoneId: venue.id });
    await ws.tasks.send('DELETE', `/v1/milestones/${venue.id}`, t.admin.auth, 204);
    expect(await ws.tasks.get(t.admin.auth, task.id)).toMatchObject({ projectId: project.id, milestoneId: null });

    const other = await ws.tasks.create(t.admin.auth, { title: 'Confirm speakers', milestoneId: speakers.id });
    await ws.tasks.send('DELETE', `/v1/projects/${project.id}`, t.admin.auth, 204);
    expect(await ws.tasks.get(t.admin.auth, other.id)).toMatchObject({ projectId: null, milestoneId: null });
    await ws.tasks.send('GET', `/v1/milestones/${speakers.id}`, t.admin.auth, 404);
    await ws.tasks.send('GET', `/v1/projects/${project.id}/milestones`, t.admin.auth, 404);
  });
});

describe("a task's customer, project and milestone", () => {
  test('a milestone of another project is refused on create and edit, naming milestoneId; nothing is written', async () => {
    const a = await projectWithMilestones();
    const b = await ws.project(t.admin.auth, { name: 'Other project' });
    const task = await ws.tasks.create(t.admin.auth, { title: 'In A', milestoneId: a.venue.id });
    const before = await workspaceRows(h, t.tenantId);

    const create = await h.app.inject({
      method: 'POST',
      url: '/v1/tasks',
      headers: t.admin.auth,
      payload: { title: 'Mismatch', projectId: b.id, milestoneId: a.venue.id },
    });
    expectError(create, 400, 'invalid_milestone');
    expect(create.json().details).toEqual([{ path: 'body.milestoneId', message: expect.stringMatching(/another project/) }]);
    // Moving the task to project B while it keeps A's milestone.
    const move = await h.app.inject({ method: 'PATCH', url: `/v1/tasks/${task.id}`, headers: t.admin.auth, payload: { projectId: b.id } });
    expectError(move, 400, 'invalid_milestone');
    expect(move.json().details[0].path).toBe('body.milestoneId');
    const batch = await h.app.inject({
      method: 'POST',
      url: '/v1/tasks/batch',
      headers: t.apiKey.auth,
      payload: { tasks: [{ title: 'Fine' }, { title: 'Unknown milestone', milestoneId: randomUUID() }] },
    });
    expectError(batch, 400, 'unknown_reference', /milestoneId/);
    expect(batch.json().details[0].path).toBe('body.tasks.1.milestoneId');
    expect(await workspaceRows(h, t.tenantId)).toEqual(before);

    // Both given together, it moves.
    const moved = await ws.tasks.patch(t.admin.auth, task.id, { projectId: b.id, milestoneId: null });
    expect(moved).toMatchObject({ projectId: b.id, milestoneId: null });
    // A milestone alone moves the task to the milestone's project.
    expect(await ws.tasks.patch(t.admin.auth, task.id, { milestoneId: a.speakers.id })).toMatchObject({
      projectId: a.project.id,
      milestoneId: a.speakers.id,
    });
  });

  test("another tenant's customer, project or milestone is a 400 naming the field, on create and edit", async () => {
    const other = await createTenantFixture(h.sql, 'Other');
    const foreignCustomer = await ws.customer(other.admin.auth);
    const foreignProject = await ws.project(other.admin.auth);
    const foreignMilestone = await ws.milestone(other.admin.auth, foreignProject.id);
    const task = await ws.tasks.create(t.admin.auth, { title: 'Mine' });
    const before = await workspaceRows(h, t.tenantId);

    for (const [field, id] of [
      ['customerId', foreignCustomer.id],
      ['projectId', foreignProject.id],
      ['milestoneId', foreignMilestone.id],
    ] as const) {
      for (const [method, url] of [
        ['POST', '/v1/tasks'],
        ['PATCH', `/v1/tasks/${task.id}`],
      ] as const) {
        const res = await h.app.inject({ method, url, headers: t.admin.auth, payload: { title: 'Foreign link', [field]: id } });
        expectError(res, 400, 'unknown_reference', new RegExp(field));
        expect(res.json().details).toEqual([{ path: `body.${field}`, message: expect.any(String) }]);
      }
    }
    const payload = { name: 'P', customerId: foreignCustomer.id };
    const project = await h.app.inject({ method: 'POST', url: '/v1/projects', headers: t.admin.auth, payload });
    expectError(project, 400, 'unknown_reference', /customerId/);
    expect(await workspaceRows(h, t.tenantId)).toEqual(before);
  });
});
