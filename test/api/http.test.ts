/**
 * The API over real HTTP: the app listens on a free port and the tests use
 * fetch, so headers, content types, multipart and the docs go through Node's
 * HTTP stack as a client sees them.
 */
import type { AddressInfo } from 'node:net';
import { type ErrorResponse, V1_ROUTES, expectError, openApiRoute, servedRoutes } from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from '../helpers/harness';

type TaskList = { items: { id: string; status: string }[]; counts: Record<string, number> };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let h: Harness;
let base: string;
let t: TenantFixture;

beforeAll(async () => {
  h = await startHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  t = await createTenantFixture(h.sql, 'Http');
});
afterAll(() => h.stop());

/** fetch against the listening app; a JSON body is sent as JSON. */
function call(path: string, init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: FormData | string } = {}) {
  const headers = { ...init.headers, ...(init.json === undefined ? {} : { 'content-type': 'application/json' }) };
  const body = init.json === undefined ? init.body : JSON.stringify(init.json);
  return fetch(`${base}${path}`, { method: init.method ?? 'GET', headers, body });
}

async function json<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect({ status: res.status, body: text }).toEqual({ status, body: expect.any(String) });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return JSON.parse(text) as T;
}

async function errorOf(res: Response): Promise<ErrorResponse> {
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? undefined,
    requestIdHeader: res.headers.get('x-request-id') ?? undefined,
    body: await res.text(),
  };
}

test('create → list → complete', async () => {
  const body = { title: 'Over the wire', priority: 'high', assigneeIds: [t.engineer.id] };
  const created = await json<{ id: string }>(await call('/v1/tasks', { method: 'POST', headers: t.admin.auth, json: body }), 201);
  expect(created).toMatchObject({ title: 'Over the wire', status: 'open', priority: 'high', assignees: [{ id: t.engineer.id }] });
  expect(created).toMatchObject({ source: { type: 'manual' } });

  const list = await json<TaskList>(await call('/v1/tasks', { headers: t.admin.auth }), 200);
  expect(list.items.map((i) => i.id)).toEqual([created.id]);
  expect(list.counts).toMatchObject({ all: 1, open: 1, completed: 0 });

  // The assigned engineer completes it from a device: no body, no content type.
  const done = await json(await call(`/v1/tasks/${created.id}/complete`, { method: 'POST', headers: t.engineer.auth }), 200);
  expect(done).toMatchObject({ id: created.id, status: 'completed', completionSource: 'manual', sessionBadge: 'manual' });

  const completed = await json<TaskList>(await call('/v1/tasks?tab=completed', { headers: t.admin.auth }), 200);
  expect(completed.items).toEqual([expect.objectContaining({ id: created.id, status: 'completed' })]);
  expect(completed.counts).toMatchObject({ all: 1, open: 0, completed: 1 });
  const mine = await json<TaskList>(await call('/v1/me/tasks', { headers: t.engineer.auth }), 200);
  expect(mine.items).toEqual([expect.objectContaining({ id: created.id, status: 'completed' })]);
});

test('an attachment goes up as multipart/form-data and comes back byte for byte', async () => {
  const create = await call('/v1/tasks', { method: 'POST', headers: t.admin.auth, json: { title: 'With a file' } });
  const task = await json<{ id: string }>(create, 201);
  const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), 'raw bytes.bin');
  const up = await json<{ attachments: { url: string; sizeBytes: number; filename: string }[] }>(
    await call(`/v1/tasks/${task.id}/attachments`, { method: 'POST', headers: t.apiKey.auth, body: form }),
    201,
  );
  expect(up.attachments).toEqual([expect.objectContaining({ filename: 'raw bytes.bin', sizeBytes: bytes.length })]);

  const down = await call(up.attachments[0]!.url, { headers: t.admin.auth });
  expect(down.status).toBe(200);
  expect(down.headers.get('content-type')).toBe('application/octet-stream');
  expect(down.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''raw%20bytes.bin");
  expect(Buffer.from(await down.arrayBuffer())).toEqual(bytes);
});

test('/healthz and /readyz answer 200 without a token', async () => {
  expect(await json(await call('/healthz'), 200)).toEqual({ status: 'ok' });
  expect(await json(await call('/readyz'), 200)).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
});

test('every response carries x-request-id: a fresh uuid, or the one the client sent; error bodies repeat it', async () => {
  const [a, b] = await Promise.all([call('/healthz'), call('/v1/tasks', { headers: t.admin.auth })]);
  expect(a.headers.get('x-request-id')).toMatch(UUID);
  expect(b.headers.get('x-request-id')).toMatch(UUID);
  expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));

  const traced = await call('/healthz', { headers: { 'x-request-id': 'trace-abc-123' } });
  expect(traced.headers.get('x-request-id')).toBe('trace-abc-123');

  const denied = await call('/v1/tasks', { headers: { 'x-request-id': 'trace-denied-1' } });
  expectError(await errorOf(denied), 401, 'unauthorized', /missing Authorization/);
  expect(denied.headers.get('x-request-id')).toBe('trace-denied-1');
});

test('bad JSON over the wire gets a 400 JSON error, and nothing is created', async () => {
  const headers = { ...t.admin.auth, 'content-type': 'application/json' };
  const res = await call('/v1/tasks', { method: 'POST', headers, body: '{"title": ' });
  expectError(await errorOf(res), 400, 'bad_request', /JSON/);
  const { n } = (await h.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM tasks WHERE tenant_id = ${t.tenantId} AND title = ''`)[0]!;
  expect(n).toBe(0);
});

test('GET /docs serves Swagger UI', async () => {
  const res = await call('/docs');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  expect(html).toContain('<title>Swagger UI</title>');
  expect(html).toMatch(/swagger-ui/);
});

test('/docs/json is an OpenAPI 3 document listing every route, and nothing that is not one', async () => {
  type OpenApi = { openapi: string; info: { title: string }; paths: Record<string, Record<string, { responses: object }>> };
  const doc = await json<OpenApi>(await call('/docs/json'), 200);
  expect(doc.openapi).toMatch(/^3\./);
  expect(doc.info.title).toBe('Task Hub API');

  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => m !== 'head')
      .map((m) => `${m} ${path}`),
  );
  // Every route the app serves but the docs' own, in OpenAPI form; the ones the other suites cover among them.
  const served = servedRoutes(h.app)
    .filter((r) => !/ \/docs|\*/.test(r))
    .map(openApiRoute);
  expect(documented.sort()).toEqual(served.sort());
  expect(served).toEqual(expect.arrayContaining([...V1_ROUTES, 'GET /healthz', 'GET /readyz'].map(openApiRoute)));
  for (const route of documented) {
    const [method, path] = route.split(' ') as [string, string];
    expect(Object.keys(doc.paths[path]![method]!.responses).length).toBeGreaterThan(0);
  }
});

test('an unknown route gets a 404 JSON error, with or without a token', async () => {
  for (const [method, path, headers] of [
    ['GET', '/nope', {}],
    ['GET', '/v1/nope', t.admin.auth],
    ['PUT', '/v1/tasks', t.admin.auth],
  ] as const) {
    const res = await call(path, { method, headers });
    expectError(await errorOf(res), 404, 'not_found', new RegExp(`^no route ${method} ${path}$`));
  }
});
