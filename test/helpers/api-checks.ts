/**
 * Shared by the API edge suites (isolation, bad input, real HTTP): the list
 * of /v1 routes, request builders, the error-body assertion and a snapshot of
 * a tenant's rows to prove a request wrote nothing.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { HTTPMethods, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { App } from '../../api/app';
import type { Harness } from './harness';

export type Headers = Record<string, string>;

/** Every /v1 route the API declares, as "METHOD path" with Fastify's :params. */
export const V1_ROUTES = [
  'GET /v1/tasks',
  'POST /v1/tasks',
  'POST /v1/tasks/bulk',
  'POST /v1/tasks/batch',
  'GET /v1/me/tasks',
  'GET /v1/tasks/:id',
  'PATCH /v1/tasks/:id',
  'DELETE /v1/tasks/:id',
  'POST /v1/tasks/:id/complete',
  'POST /v1/tasks/:id/reopen',
  'POST /v1/tasks/:id/archive',
  'POST /v1/tasks/:id/cancel',
  'POST /v1/tasks/:id/status',
  'POST /v1/tasks/:id/attachments',
  'GET /v1/tasks/:id/attachments/:attachmentId',
] as const;
export type V1Route = (typeof V1_ROUTES)[number];

/**
 * Every "METHOD path" the app serves, read from Fastify's route tree (HEAD and
 * OPTIONS left out): what the suites' route tables must cover.
 */
export function servedRoutes(app: App): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '').split(', ')) {
      if (method && method !== 'HEAD' && method !== 'OPTIONS') routes.push(`${method} ${stack.join('')}`);
    }
  }
  return routes.sort();
}

/** The served /v1 routes that `covered` leaves out: should be none. */
export async function uncoveredV1Routes(app: App, covered: readonly string[]): Promise<string[]> {
  await app.ready();
  return servedRoutes(app).filter((r) => r.split(' ')[1]!.startsWith('/v1/') && !covered.includes(r));
}

/** The concrete request for a route, its params filled in. */
export function routeRequest(
  route: V1Route,
  ids: { taskId: string; attachmentId?: string },
  extra: Partial<InjectOptions> = {},
): InjectOptions {
  const [method, pattern] = route.split(' ') as [HTTPMethods, string];
  const url = pattern.replace(':attachmentId', ids.attachmentId ?? '00000000-0000-4000-8000-000000000000').replace(':id', ids.taskId);
  return { method, url, ...extra };
}

/** A route in OpenAPI's terms: "get /v1/tasks/{id}". */
export function openApiRoute(route: string): string {
  const [method, pattern] = route.split(' ') as [string, string];
  return `${method.toLowerCase()} ${pattern.replace(/:(\w+)/g, '{$1}')}`;
}

export const BOUNDARY = '----taskhub-test-boundary';

/** A multipart/form-data upload of the given files. */
export function multipartUpload(
  files: { filename: string; content: string | Buffer }[],
  boundary = BOUNDARY,
): { headers: Headers; payload: Buffer } {
  const parts = files.map((f) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.filename}"\r\n` +
          'Content-Type: text/plain\r\n\r\n',
      ),
      Buffer.from(f.content),
      Buffer.from('\r\n'),
    ]),
  );
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
  };
}

/** POST /v1/tasks, expecting 201; returns the created task. */
export async function createTask(app: App, auth: Headers, body: Record<string, unknown>): Promise<{ id: string; title: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/tasks', headers: auth, payload: body });
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 201 });
  return res.json();
}

/** Uploads one small file to a task, expecting 201; returns the attachment. */
export async function uploadFile(app: App, auth: Headers, taskId: string, filename: string, content: string) {
  const upload = multipartUpload([{ filename, content }]);
  const url = `/v1/tasks/${taskId}/attachments`;
  const res = await app.inject({ method: 'POST', url, headers: { ...auth, ...upload.headers }, payload: upload.payload });
  expect({ status: res.statusCode, body: res.body }).toMatchObject({ status: 201 });
  return res.json().attachments[0] as { id: string; url: string };
}

/** Status and error body of a response, however it was made (inject or fetch). */
export interface ErrorResponse {
  status: number;
  contentType: string | undefined;
  requestIdHeader: string | undefined;
  body: string;
}

export function fromInject(res: LightMyRequestResponse): ErrorResponse {
  const header = (name: string) => (res.headers[name] === undefined ? undefined : String(res.headers[name]));
  return { status: res.statusCode, contentType: header('content-type'), requestIdHeader: header('x-request-id'), body: res.body };
}

/**
 * The shared error shape: the status, a JSON `{ error, message, details?, requestId }`
 * whose requestId is the x-request-id header, and a message that says what was wrong.
 */
export function expectError(res: ErrorResponse | LightMyRequestResponse, status: number, error: string | RegExp, message?: RegExp): void {
  const r = 'statusCode' in res ? fromInject(res) : res;
  expect({ status: r.status, body: r.body }).toEqual({ status, body: expect.any(String) });
  expect(r.contentType).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as Record<string, unknown>;
  expect(body).toMatchObject({
    error: typeof error === 'string' ? error : expect.stringMatching(error),
    message: expect.any(String),
    requestId: r.requestIdHeader,
  });
  expect(Object.keys(body).filter((k) => !['error', 'message', 'details', 'requestId'].includes(k))).toEqual([]);
  if (message) expect(body.message).toMatch(message);
}

/** Everything a tenant has in the tables the API writes and in the blob store, to compare before and after. */
export async function tenantRows(h: Pick<Harness, 'sql' | 'config'>, tenantId: string) {
  const { sql } = h;
  const [tasks, assignees, events, attachments, idempotencyKeys, files] = await Promise.all([
    // As JSON: due_sort may be infinity, which a Date cannot compare.
    sql`SELECT to_jsonb(t) AS row FROM tasks t WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT task_id, user_id FROM task_assignees WHERE tenant_id = ${tenantId} ORDER BY task_id, user_id`,
    sql`SELECT id, task_id, type FROM task_events WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT id, task_id, blob_key FROM attachments WHERE tenant_id = ${tenantId} ORDER BY id`,
    sql`SELECT key, request_hash FROM idempotency_keys WHERE tenant_id = ${tenantId} ORDER BY key`,
    readdir(path.join(h.config.blobDir, 'tenants', tenantId), { recursive: true }).catch(() => [] as string[]),
  ]);
  return {
    tasks: [...tasks],
    assignees: [...assignees],
    events: [...events],
    attachments: [...attachments],
    idempotencyKeys: [...idempotencyKeys],
    files: files.sort(),
  };
}
