/**
 * Shared by the workspace suites (test/api/workspace-*.test.ts): request
 * helpers for customers, projects, milestones, comments and templates, the
 * list of workspace routes, and a snapshot of everything a tenant has, to
 * prove a request wrote nothing.
 */
import { randomUUID } from 'node:crypto';
import { multipartUpload, tenantRows } from './api-checks';
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from './harness';
import { type Auth, type Json, type Row, taskApi } from './task-api';

/** The /v1 routes of the workspace issue (seed 001), as servedRoutes() prints them. */
export const WORKSPACE_ROUTES = [
  'GET /v1/tenant',
  'PATCH /v1/tenant',
  'GET /v1/customers',
  'POST /v1/customers',
  'GET /v1/customers/:id',
  'PATCH /v1/customers/:id',
  'DELETE /v1/customers/:id',
  'GET /v1/customers/:id/links',
  'POST /v1/customers/:id/links',
  'DELETE /v1/customers/:id/links/:customerId',
  'GET /v1/projects',
  'POST /v1/projects',
  'GET /v1/projects/:id',
  'PATCH /v1/projects/:id',
  'DELETE /v1/projects/:id',
  'GET /v1/projects/:id/milestones',
  'POST /v1/projects/:id/milestones',
  'GET /v1/milestones/:id',
  'PATCH /v1/milestones/:id',
  'DELETE /v1/milestones/:id',
  'GET /v1/tasks/:id/comments',
  'POST /v1/tasks/:id/comments',
  'PATCH /v1/tasks/:id/comments/:commentId',
  'DELETE /v1/tasks/:id/comments/:commentId',
  'GET /v1/task-templates',
  'POST /v1/task-templates',
  'GET /v1/task-templates/:id',
  'PATCH /v1/task-templates/:id',
  'DELETE /v1/task-templates/:id',
  'POST /v1/task-templates/:id/files',
  'GET /v1/task-templates/:id/files/:fileId',
  'DELETE /v1/task-templates/:id/files/:fileId',
  'POST /v1/tasks/from-template/:templateId',
] as const;
export type WorkspaceRoute = (typeof WORKSPACE_ROUTES)[number];

export function workspaceApi(h: Harness) {
  const tasks = taskApi(h);
  const post = async (url: string, auth: Auth, payload: unknown, expected = 201) =>
    (await tasks.send('POST', url, auth, expected, { payload })).json();
  const get = async (url: string, auth: Auth, query?: Record<string, string>) =>
    (await tasks.send('GET', url, auth, 200, query ? { query } : {})).json();
  const patch = async (url: string, auth: Auth, payload: unknown) => (await tasks.send('PATCH', url, auth, 200, { payload })).json();

  return {
    tasks,
    get,
    post,
    patch,
    customer: (auth: Auth, body: Json = {}) => post('/v1/customers', auth, { name: 'Customer', ...body }),
    link: (auth: Auth, id: string, customerId: string) => post(`/v1/customers/${id}/links`, auth, { customerId }),
    project: (auth: Auth, body: Json = {}) => post('/v1/projects', auth, { name: 'Project', ...body }),
    milestone: (auth: Auth, projectId: string, body: Json = {}) =>
      post(`/v1/projects/${projectId}/milestones`, auth, { name: 'Milestone', ...body }),
    comment: (auth: Auth, taskId: string, body: string) => post(`/v1/tasks/${taskId}/comments`, auth, { body }),
    template: (auth: Auth, body: Json = {}) =>
      post('/v1/task-templates', auth, { name: `Template ${randomUUID().slice(0, 8)}`, title: 'From a template', ...body }),
    fromTemplate: (auth: Auth, templateId: string, overrides: Json = {}): Promise<Row> =>
      post(`/v1/tasks/from-template/${templateId}`, auth, overrides),
    async templateFiles(auth: Auth, templateId: string, files: { filename: string; content: string }[]) {
      const upload = multipartUpload(files);
      const res = await tasks.send('POST', `/v1/task-templates/${templateId}/files`, auth, 201, {
        headers: upload.headers,
        payload: upload.payload,
      });
      return res.json().files as { id: string; filename: string; url: string }[];
    },
    /** The ids GET /v1/tasks lists under `query`, in order. */
    async listed(auth: Auth, query: Record<string, string>): Promise<string[]> {
      return (await tasks.list(auth, query)).items.map((i) => i.id);
    },
  };
}

export type WorkspaceApi = ReturnType<typeof workspaceApi>;

/**
 * A suite's hooks: one harness for the file, a new tenant for each test;
 * `set` receives them before each test.
 */
export function workspaceSuite(set: (s: { h: Harness; ws: WorkspaceApi; t: TenantFixture }) => void): void {
  let h: Harness;
  let ws: WorkspaceApi;
  beforeAll(async () => {
    h = await startHarness();
    ws = workspaceApi(h);
  });
  afterAll(() => h.stop());
  beforeEach(async () => set({ h, ws, t: await createTenantFixture(h.sql) }));
}

/** tenantRows (tasks, events, attachments, blobs…) plus the workspace tables and the tenant's settings. */
export async function workspaceRows(h: Harness, tenantId: string) {
  const { sql } = h;
  const [base, customers, links, projects, milestones, comments, templates, templateAssignees, templateFiles, tenant] = await Promise.all([
    tenantRows(h, tenantId),
    sql`SELECT to_jsonb(c) AS row FROM customers c WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT customer_a, customer_b FROM customer_links WHERE tenant_id = ${tenantId} ORDER BY customer_a, customer_b`,
    sql`SELECT to_jsonb(p) AS row FROM projects p WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT to_jsonb(m) AS row FROM milestones m WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT to_jsonb(c) AS row FROM task_comments c WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT to_jsonb(t) AS row FROM task_templates t WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT template_id, user_id FROM task_template_assignees WHERE tenant_id = ${tenantId} ORDER BY template_id, user_id`,
    sql`SELECT id, template_id, blob_key FROM task_template_files WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT name, time_zone FROM tenants WHERE id = ${tenantId}`,
  ]);
  return {
    ...base,
    customers: [...customers],
    links: [...links],
    projects: [...projects],
    milestones: [...milestones],
    comments: [...comments],
    templates: [...templates],
    templateAssignees: [...templateAssignees],
    templateFiles: [...templateFiles],
    tenant: [...tenant],
  };
}

/** Sets the tenant's time zone directly (the API's PATCH /v1/tenant is tested on its own). */
export async function setTimeZone(h: Harness, tenantId: string, timeZone: string): Promise<void> {
  await h.sql`UPDATE tenants SET time_zone = ${timeZone} WHERE id = ${tenantId}`;
}
