/**
 * Every workspace route at its edges: another tenant's ids are 404 (and the
 * collections show only the caller's tenant), no token is 401, and bad input
 * is a 4xx JSON error that writes nothing. The tables cover every route the
 * app serves beyond the Tasks API's own (test/helpers/api-checks.ts).
 */
import type { InjectOptions } from 'fastify';
import { V1_ROUTES, expectError, multipartUpload, uncoveredV1Routes } from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from '../helpers/harness';
import { WORKSPACE_ROUTES, type WorkspaceRoute, workspaceApi, workspaceRows } from '../helpers/workspace-api';
import { INTEGRATION_ROUTES } from '../integrations-api/routes';
import { SESSION_ROUTES } from '../helpers/session-api';
import { WRITEBACK_ROUTES } from '../helpers/writeback-fixture';

let h: Harness;
let ws: ReturnType<typeof workspaceApi>;

interface Ids {
  customer: string;
  linked: string;
  project: string;
  milestone: string;
  task: string;
  comment: string;
  template: string;
  file: string;
}

/** One of everything in the tenant. */
async function workspaceOf(t: TenantFixture): Promise<Ids> {
  const customer = await ws.customer(t.admin.auth, { name: 'Parent company' });
  const linked = await ws.customer(t.admin.auth, { name: 'Site' });
  await ws.link(t.admin.auth, customer.id, linked.id);
  const project = await ws.project(t.admin.auth, { customerId: customer.id });
  const milestone = await ws.milestone(t.admin.auth, project.id, { dueDate: '2030-01-31' });
  const task = await ws.tasks.create(t.admin.auth, { title: 'Task', customerId: customer.id, milestoneId: milestone.id });
  const comment = await ws.comment(t.admin.auth, task.id, 'A comment');
  const template = await ws.template(t.admin.auth, { customerId: customer.id, dueOffset: '+1 day' });
  const [file] = await ws.templateFiles(t.admin.auth, template.id, [{ filename: 'a.txt', content: 'abc' }]);
  return {
    customer: customer.id,
    linked: linked.id,
    project: project.id,
    milestone: milestone.id,
    task: task.id,
    comment: comment.id,
    template: template.id,
    file: file!.id,
  };
}

type Request = { url: string; payload?: InjectOptions['payload']; query?: Record<string, string>; headers?: Record<string, string> };

const files = () => multipartUpload([{ filename: 'b.txt', content: 'def' }]);

/** A valid request of each route against the ids: what the other tenant sends. */
const VALID: Record<WorkspaceRoute, (i: Ids) => Request> = {
  'GET /v1/tenant': () => ({ url: '/v1/tenant' }),
  'PATCH /v1/tenant': () => ({ url: '/v1/tenant', payload: { timeZone: 'Asia/Tokyo' } }),
  'GET /v1/customers': () => ({ url: '/v1/customers' }),
  'POST /v1/customers': () => ({ url: '/v1/customers', payload: { name: 'New' } }),
  'GET /v1/customers/:id': (i) => ({ url: `/v1/customers/${i.customer}` }),
  'PATCH /v1/customers/:id': (i) => ({ url: `/v1/customers/${i.customer}`, payload: { name: 'Renamed' } }),
  'DELETE /v1/customers/:id': (i) => ({ url: `/v1/customers/${i.customer}` }),
  'GET /v1/customers/:id/links': (i) => ({ url: `/v1/customers/${i.customer}/links` }),
  'POST /v1/customers/:id/links': (i) => ({ url: `/v1/customers/${i.customer}/links`, payload: { customerId: i.linked } }),
  'DELETE /v1/customers/:id/links/:customerId': (i) => ({ url: `/v1/customers/${i.customer}/links/${i.linked}` }),
  'GET /v1/projects': () => ({ url: '/v1/projects' }),
  'POST /v1/projects': () => ({ url: '/v1/projects', payload: { name: 'New' } }),
  'GET /v1/projects/:id': (i) => ({ url: `/v1/projects/${i.project}` }),
  'PATCH /v1/projects/:id': (i) => ({ url: `/v1/projects/${i.project}`, payload: { name: 'Renamed' } }),
  'DELETE /v1/projects/:id': (i) => ({ url: `/v1/projects/${i.project}` }),
  'GET /v1/projects/:id/milestones': (i) => ({ url: `/v1/projects/${i.project}/milestones` }),
  'POST /v1/projects/:id/milestones': (i) => ({ url: `/v1/projects/${i.project}/milestones`, payload: { name: 'New' } }),
  'GET /v1/milestones/:id': (i) => ({ url: `/v1/milestones/${i.milestone}` }),
  'PATCH /v1/milestones/:id': (i) => ({ url: `/v1/milestones/${i.milestone}`, payload: { name: 'Renamed' } }),
  'DELETE /v1/milestones/:id': (i) => ({ url: `/v1/milestones/${i.milestone}` }),
  'GET /v1/tasks/:id/comments': (i) => ({ url: `/v1/tasks/${i.task}/comments` }),
  'POST /v1/tasks/:id/comments': (i) => ({ url: `/v1/tasks/${i.task}/comments`, payload: { body: 'Hello' } }),
  'PATCH /v1/tasks/:id/comments/:commentId': (i) => ({ url: `/v1/tasks/${i.task}/comments/${i.comment}`, payload: { body: 'Edited' } }),
  'DELETE /v1/tasks/:id/comments/:commentId': (i) => ({ url: `/v1/tasks/${i.task}/comments/${i.comment}` }),
  'GET /v1/task-templates': () => ({ url: '/v1/task-templates' }),
  'POST /v1/task-templates': () => ({ url: '/v1/task-templates', payload: { name: 'New', title: 'New' } }),
  'GET /v1/task-templates/:id': (i) => ({ url: `/v1/task-templates/${i.template}` }),
  'PATCH /v1/task-templates/:id': (i) => ({ url: `/v1/task-templates/${i.template}`, payload: { title: 'Renamed' } }),
  'DELETE /v1/task-templates/:id': (i) => ({ url: `/v1/task-templates/${i.template}` }),
  'POST /v1/task-templates/:id/files': (i) => ({ url: `/v1/task-templates/${i.template}/files`, ...files() }),
  'GET /v1/task-templates/:id/files/:fileId': (i) => ({ url: `/v1/task-templates/${i.template}/files/${i.file}` }),
  'DELETE /v1/task-templates/:id/files/:fileId': (i) => ({ url: `/v1/task-templates/${i.template}/files/${i.file}` }),
  'POST /v1/tasks/from-template/:templateId': (i) => ({ url: `/v1/tasks/from-template/${i.template}`, payload: {} }),
};

/** Routes that act on the caller's own tenant, whatever ids another tenant holds. */
const OWN_TENANT: WorkspaceRoute[] = [
  'GET /v1/tenant',
  'PATCH /v1/tenant',
  'GET /v1/customers',
  'POST /v1/customers',
  'GET /v1/projects',
  'POST /v1/projects',
  'GET /v1/task-templates',
  'POST /v1/task-templates',
];

const NIL = '00000000-0000-4000-8000-000000000000';

/** Sends the route's request, with `auth` if given. */
function send(route: WorkspaceRoute, request: Request, auth?: { authorization: string }) {
  const method = route.split(' ')[0] as InjectOptions['method'];
  return h.app.inject({ method, ...request, headers: { ...auth, ...request.headers } });
}

interface BadCase {
  name: string;
  request: (i: Ids, foreign: Ids) => Request;
  status: number;
  error: string;
}

/** The route's first id in the URL replaced by something that is not a uuid. */
function badId(route: WorkspaceRoute): BadCase {
  return {
    name: 'an id that is not a uuid',
    request: (i) => {
      const valid = VALID[route](i);
      return { ...valid, url: valid.url.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, 'not-a-uuid') };
    },
    status: 400,
    error: 'validation_failed',
  };
}

/** The route's URL with this JSON body. */
const withBody = (route: WorkspaceRoute, name: string, payload: unknown, status = 400, error = 'validation_failed'): BadCase => ({
  name,
  request: (i) => ({ url: VALID[route](i).url, payload: payload as InjectOptions['payload'] }),
  status,
  error,
});
/** The route's URL with this query. */
const withQuery = (route: WorkspaceRoute, name: string, query: Record<string, string>, error = 'validation_failed'): BadCase => ({
  name,
  request: (i) => ({ url: VALID[route](i).url, query }),
  status: 400,
  error,
});

const BAD: Record<WorkspaceRoute, BadCase[]> = {
  // It takes no input: no params, no query, no body.
  'GET /v1/tenant': [],
  'PATCH /v1/tenant': [
    withBody('PATCH /v1/tenant', 'an unknown time zone', { timeZone: 'Mars/Base' }, 400, 'bad_request'),
    withBody('PATCH /v1/tenant', 'an empty body', {}),
  ],
  'GET /v1/customers': [
    withQuery('GET /v1/customers', 'limit 0', { limit: '0' }),
    withQuery('GET /v1/customers', 'a forged cursor', { cursor: 'eyJ4IjoxfQ' }, 'invalid_cursor'),
  ],
  'POST /v1/customers': [
    withBody('POST /v1/customers', 'a blank name', { name: '   ' }),
    withBody('POST /v1/customers', 'a bad email', { name: 'X', email: 'not-an-email' }),
    withBody('POST /v1/customers', 'an unknown field', { name: 'X', integrationId: NIL }),
  ],
  'GET /v1/customers/:id': [badId('GET /v1/customers/:id')],
  'PATCH /v1/customers/:id': [badId('PATCH /v1/customers/:id'), withBody('PATCH /v1/customers/:id', 'an empty patch', {})],
  'DELETE /v1/customers/:id': [badId('DELETE /v1/customers/:id')],
  'GET /v1/customers/:id/links': [badId('GET /v1/customers/:id/links')],
  'POST /v1/customers/:id/links': [
    badId('POST /v1/customers/:id/links'),
    withBody('POST /v1/customers/:id/links', 'no customerId', {}),
    {
      name: "another tenant's customer",
      request: (i, f) => ({ ...VALID['POST /v1/customers/:id/links'](i), payload: { customerId: f.customer } }),
      status: 400,
      error: 'unknown_reference',
    },
  ],
  'DELETE /v1/customers/:id/links/:customerId': [badId('DELETE /v1/customers/:id/links/:customerId')],
  'GET /v1/projects': [withQuery('GET /v1/projects', 'a customerId that is not a uuid', { customerId: 'x' })],
  'POST /v1/projects': [
    withBody('POST /v1/projects', 'no name', { description: 'x' }),
    {
      name: "another tenant's customer",
      request: (_i, f) => ({ url: '/v1/projects', payload: { name: 'X', customerId: f.customer } }),
      status: 400,
      error: 'unknown_reference',
    },
  ],
  'GET /v1/projects/:id': [badId('GET /v1/projects/:id')],
  'PATCH /v1/projects/:id': [badId('PATCH /v1/projects/:id'), withBody('PATCH /v1/projects/:id', 'a null name', { name: null })],
  'DELETE /v1/projects/:id': [badId('DELETE /v1/projects/:id')],
  'GET /v1/projects/:id/milestones': [badId('GET /v1/projects/:id/milestones')],
  'POST /v1/projects/:id/milestones': [
    badId('POST /v1/projects/:id/milestones'),
    withBody('POST /v1/projects/:id/milestones', 'a day that does not exist', { name: 'X', dueDate: '2030-02-30' }),
  ],
  'GET /v1/milestones/:id': [badId('GET /v1/milestones/:id')],
  'PATCH /v1/milestones/:id': [
    badId('PATCH /v1/milestones/:id'),
    withBody('PATCH /v1/milestones/:id', 'a date with a time', { dueDate: '2030-01-01T10:00:00Z' }),
    withBody('PATCH /v1/milestones/:id', 'a new project', { projectId: NIL }),
  ],
  'DELETE /v1/milestones/:id': [badId('DELETE /v1/milestones/:id')],
  'GET /v1/tasks/:id/comments': [badId('GET /v1/tasks/:id/comments'), withQuery('GET /v1/tasks/:id/comments', 'limit 1000', { limit: '1000' })],
  'POST /v1/tasks/:id/comments': [
    badId('POST /v1/tasks/:id/comments'),
    withBody('POST /v1/tasks/:id/comments', 'a blank body', { body: ' \n ' }),
    withBody('POST /v1/tasks/:id/comments', 'a body too long', { body: 'x'.repeat(10_001) }),
  ],
  'PATCH /v1/tasks/:id/comments/:commentId': [
    badId('PATCH /v1/tasks/:id/comments/:commentId'),
    withBody('PATCH /v1/tasks/:id/comments/:commentId', 'no body', {}),
  ],
  'DELETE /v1/tasks/:id/comments/:commentId': [
    badId('DELETE /v1/tasks/:id/comments/:commentId'),
    {
      name: 'a comment id of no comment',
      request: (i) => ({ url: `/v1/tasks/${i.task}/comments/${NIL}` }),
      status: 404,
      error: 'not_found',
    },
  ],
  'GET /v1/task-templates': [withQuery('GET /v1/task-templates', 'limit 201', { limit: '201' })],
  'POST /v1/task-templates': [
    withBody('POST /v1/task-templates', 'a completed default status', { name: 'X', title: 'X', status: 'completed' }),
    withBody('POST /v1/task-templates', 'a due offset in the past', { name: 'X', title: 'X', dueOffset: '-2 days' }, 400, 'bad_request'),
    withBody('POST /v1/task-templates', 'an unknown assignee', { name: 'X', title: 'X', assigneeIds: [NIL] }, 400, 'unknown_reference'),
    {
      name: "another tenant's project",
      request: (_i, f) => ({ url: '/v1/task-templates', payload: { name: 'X', title: 'X', projectId: f.project } }),
      status: 400,
      error: 'unknown_reference',
    },
  ],
  'GET /v1/task-templates/:id': [badId('GET /v1/task-templates/:id')],
  'PATCH /v1/task-templates/:id': [
    badId('PATCH /v1/task-templates/:id'),
    withBody('PATCH /v1/task-templates/:id', 'a duplicate tag', { tags: ['a', 'a'] }),
    {
      name: "another tenant's milestone",
      request: (i, f) => ({ url: `/v1/task-templates/${i.template}`, payload: { milestoneId: f.milestone } }),
      status: 400,
      error: 'unknown_reference',
    },
  ],
  'DELETE /v1/task-templates/:id': [badId('DELETE /v1/task-templates/:id')],
  'POST /v1/task-templates/:id/files': [
    badId('POST /v1/task-templates/:id/files'),
    withBody('POST /v1/task-templates/:id/files', 'JSON, not multipart', { file: 'x' }, 415, 'unsupported_media_type'),
  ],
  'GET /v1/task-templates/:id/files/:fileId': [badId('GET /v1/task-templates/:id/files/:fileId')],
  'DELETE /v1/task-templates/:id/files/:fileId': [badId('DELETE /v1/task-templates/:id/files/:fileId')],
  'POST /v1/tasks/from-template/:templateId': [
    badId('POST /v1/tasks/from-template/:templateId'),
    withBody('POST /v1/tasks/from-template/:templateId', 'a blank title', { title: '' }),
    withBody('POST /v1/tasks/from-template/:templateId', 'a dueDate that is no date', { dueDate: 'friday' }),
    {
      name: "another tenant's customer",
      request: (i, f) => ({ url: `/v1/tasks/from-template/${i.template}`, payload: { customerId: f.customer } }),
      status: 400,
      error: 'unknown_reference',
    },
  ],
};

let a: TenantFixture;
let b: TenantFixture;
let A: Ids;
let B: Ids;

beforeAll(async () => {
  h = await startHarness();
  ws = workspaceApi(h);
  [a, b] = await Promise.all([createTenantFixture(h.sql, 'A'), createTenantFixture(h.sql, 'B')]);
  [A, B] = await Promise.all([workspaceOf(a), workspaceOf(b)]);
});
afterAll(() => h.stop());

test('the tables cover every /v1 route beyond the Tasks API', async () => {
  // Integrations, sessions and writebacks have their own tables: test/integrations-api/edges.test.ts, test/sessions, test/writeback.
  expect(await uncoveredV1Routes(h.app, [...V1_ROUTES, ...WORKSPACE_ROUTES, ...INTEGRATION_ROUTES, ...SESSION_ROUTES, ...WRITEBACK_ROUTES])).toEqual([]);
  const withoutInput = WORKSPACE_ROUTES.filter((route) => BAD[route].length === 0);
  expect(withoutInput).toEqual(['GET /v1/tenant']);
});

describe.each(WORKSPACE_ROUTES)('%s', (route) => {
  test("another tenant's admin gets 404 for this tenant's ids, or only their own tenant; nothing of this tenant changes", async () => {
    const before = await workspaceRows(h, a.tenantId);
    const res = await send(route, VALID[route](A), b.admin.auth);
    if (OWN_TENANT.includes(route)) {
      expect(res.statusCode).toBeLessThan(300);
      for (const id of [a.tenantId, ...Object.values(A)]) expect(res.body).not.toContain(id);
    } else {
      expectError(res, 404, 'not_found');
    }
    expect(await workspaceRows(h, a.tenantId)).toEqual(before);
  });

  test('no token gets 401 and changes nothing', async () => {
    const before = await workspaceRows(h, a.tenantId);
    expectError(await send(route, VALID[route](A)), 401, 'unauthorized');
    expect(await workspaceRows(h, a.tenantId)).toEqual(before);
  });

  if (BAD[route].length === 0) return;
  test.each(BAD[route])('$name → $status $error, nothing written', async (c) => {
    const before = await workspaceRows(h, a.tenantId);
    const res = await send(route, c.request(A, B), a.admin.auth);
    expectError(res, c.status, c.error);
    expect(await workspaceRows(h, a.tenantId)).toEqual(before);
  });
});
