/**
 * Bad input on every /v1 route, table-driven. Each malformed request gets the
 * expected 4xx (never a 500) with the shared error body, a message that names
 * what was wrong, and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import {
  BOUNDARY,
  type Headers,
  V1_ROUTES,
  type V1Route,
  createTask,
  expectError,
  multipartUpload,
  routeRequest,
  tenantRows,
  uploadFile,
} from '../helpers/api-checks';
import { type Harness, type TenantFixture, createTenantFixture, startHarness } from '../helpers/harness';

interface Ctx {
  t: TenantFixture;
  taskId: string;
  attachmentId: string;
}

interface Case {
  name: string;
  /** The request, without auth; `path` is the route's path with the fixture's ids. */
  request: (ctx: Ctx, path: string) => Partial<InjectOptions>;
  status: number;
  /** The error code; a pattern where the route may answer with either of two codes. */
  error: string | RegExp;
  /** What the message must say: it names the field or the problem. */
  message: RegExp;
  as?: 'admin' | 'apiKey';
  /** Runs first, outside the "nothing written" check (e.g. the first use of an Idempotency-Key). */
  setup?: (ctx: Ctx, path: string) => Promise<void>;
}

let h: Harness;
let ctx: Ctx;

beforeAll(async () => {
  h = await startHarness();
  const t = await createTenantFixture(h.sql, 'BadInput');
  const task = await createTask(h.app, t.admin.auth, { title: 'Target task', assigneeIds: [t.engineer.id] });
  const attachment = await uploadFile(h.app, t.admin.auth, task.id, 'kept.txt', 'kept');
  ctx = { t, taskId: task.id, attachmentId: attachment.id };
});
afterAll(() => h.stop());

const uuid = () => randomUUID();
const cursorOf = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');
const repeat = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));

// ---- Case builders shared by several routes -------------------------------------------------

const query = (name: string, qs: string, message: RegExp, status = 400, error: string | RegExp = 'validation_failed'): Case => ({
  name,
  request: (_c, path) => ({ url: `${path}?${qs}` }),
  status,
  error,
  message,
});

/** A body, or a function of the fixture for bodies that name its ids. */
type Payload = object | ((c: Ctx) => object);

const body = (name: string, payload: Payload, message: RegExp, status = 400, error = 'validation_failed'): Case => ({
  name,
  request: (c) => ({ payload: typeof payload === 'function' ? payload(c) : payload }),
  status,
  error,
  message,
});

/** Malformed ids in the path: `:id`, and `:attachmentId` when the route has one. */
function badIds(route: V1Route): Case[] {
  const param = (name: string, taskId: string | null, attachmentId?: string): Case => ({
    name,
    request: (c) => ({ url: routeRequest(route, { taskId: taskId ?? c.taskId, attachmentId: attachmentId ?? c.attachmentId }).url }),
    status: 400,
    error: 'validation_failed',
    message: new RegExp(`params\\.${attachmentId ? 'attachmentId' : 'id'} must match format "uuid"`),
  });
  const cases = [param('id not a uuid', 'not-a-uuid'), param('id a number', '12345'), param('id a uuid with a suffix', `${uuid()}x`)];
  if (route.includes(':attachmentId')) cases.push(param('attachment id not a uuid', null, 'nope'));
  return cases;
}

/** A well-formed request for a task that does not exist (or an attachment, with `attachment`). */
function unknownTask(route: V1Route, valid: Partial<InjectOptions> = {}, what: 'task' | 'attachment' = 'task'): Case {
  return {
    name: `an unknown ${what}`,
    request: (c) => {
      const ids = what === 'task' ? { taskId: uuid() } : { taskId: c.taskId, attachmentId: uuid() };
      return { ...valid, url: routeRequest(route, ids).url };
    },
    status: 404,
    error: 'not_found',
    message: new RegExp(`^${what} not found$`),
  };
}

/** A body sent as is, with its own content type. */
const raw = (name: string, contentType: string, payload: string | Buffer, message: RegExp, status = 400, error = 'bad_request'): Case => ({
  name,
  request: () => ({ headers: { 'content-type': contentType }, payload }),
  status,
  error,
  message,
});

/** A JSON body that is missing, empty, not JSON, or not JSON at all. */
function badJson(): Case[] {
  return [
    { name: 'no body', request: () => ({}), status: 400, error: 'validation_failed', message: /body must be object/ },
    body('a JSON array', [], /body must be object/),
    raw('empty body with a JSON content type', 'application/json', '', /Body cannot be empty/i),
    raw('invalid JSON', 'application/json', '{"title": "x",', /JSON/),
    raw('XML', 'application/xml', '<task/>', /Unsupported Media Type/i, 415, 'unsupported_media_type'),
    raw('plain text', 'text/plain', 'title=x', /body must be object/, 400, 'validation_failed'),
  ];
}

const badCursor = (name: string, cursor: string, before = ''): Case =>
  query(name, `${before}cursor=${cursor}`, /^cursor is not valid for this sort; start again without it$/, 400, 'invalid_cursor');

/** limit, cursor and unknown parameters of a paged list. */
function paging(path: string): Case[] {
  return [
    query('limit 0', 'limit=0', /querystring\.limit must be >= 1/),
    query('limit over 200', 'limit=201', /limit (must be <= |above )200/, 400, /^(validation_failed|bad_request)$/),
    query('limit not a number', 'limit=ten', /querystring\.limit must be integer/),
    query('limit fractional', 'limit=1.5', /querystring\.limit must be integer/),
    query('limit negative', 'limit=-1', /querystring\.limit must be >= 1/),
    query('unknown parameter', 'colour=red', /querystring\.colour is not a known property/),
    badCursor('cursor not base64 JSON', '%%%not-a-cursor'),
    badCursor('cursor of the wrong shape', cursorOf({ a: 1 })),
    badCursor('cursor with a bad timestamp', cursorOf(['2024-13-45 99:00:00+00', uuid()])),
    badCursor('cursor with a bad id', cursorOf(['2024-01-01 00:00:00+00', 'not-a-uuid'])),
    badCursor('cursor of another sort', cursorOf(['x'])),
    query('cursor over 500 characters', `cursor=${'a'.repeat(501)}`, /querystring\.cursor must NOT have more than 500 characters/),
    ...(path === '/v1/tasks'
      ? [badCursor('priority cursor out of range', cursorOf(['99999', '2024-01-01 00:00:00+00', uuid()]), 'sort=priority&')]
      : []),
  ];
}

/** A first request with an Idempotency-Key, then the same key with another body: 422. */
function keyReused(route: 'POST /v1/tasks/bulk' | 'POST /v1/tasks/batch'): Case {
  const key = `reused-${uuid()}`;
  const headers = { 'idempotency-key': key };
  let ids: string[] = [];
  const bulk = route === 'POST /v1/tasks/bulk';
  const first = () => (bulk ? { action: 'archive', ids } : { tasks: [{ title: 'First' }] });
  const second = () => (bulk ? { action: 'delete', ids } : { tasks: [{ title: 'Second, different' }] });
  return {
    name: 'Idempotency-Key reused with a different body',
    setup: async (c, path) => {
      if (bulk) ids = [(await createTask(h.app, c.t.admin.auth, { title: 'Bulk target' })).id];
      const res = await h.app.inject({ method: 'POST', url: path, headers: { ...auth(c, 'admin'), ...headers }, payload: first() });
      expect(res.statusCode).toBeLessThan(300);
    },
    request: () => ({ headers, payload: second() }),
    status: 422,
    error: 'idempotency_key_reused',
    message: /Idempotency-Key was used with a different request body/,
  };
}

/** A valid body with a malformed Idempotency-Key header. */
function badKeyHeader(valid: Payload): Case[] {
  const withKey = (name: string, key: string, message: RegExp): Case => {
    const plain = body(name, valid, message);
    return { ...plain, request: (c, path) => ({ ...plain.request(c, path), headers: { 'idempotency-key': key } }) };
  };
  return [
    withKey('empty Idempotency-Key', '', /headers\.idempotency-key must NOT have fewer than 1 characters/),
    withKey('Idempotency-Key over 200 characters', 'k'.repeat(201), /headers\.idempotency-key must NOT have more than 200 characters/),
  ];
}

/** Fields of a task body (create, patch, each batch item), at `at` (body or body.tasks.0). */
function taskFields(at: string, wrap: (task: object) => object, base: object): Case[] {
  const f = (name: string, task: Payload, message: RegExp, status = 400, error = 'validation_failed') =>
    body(name, (c) => wrap({ ...base, ...(typeof task === 'function' ? task(c) : task) }), message, status, error);
  const p = at.replace(/\./g, '\\.');
  return [
    f('blank title', { title: '   ' }, new RegExp(`${p}\\.title must match pattern`)),
    f('empty title', { title: '' }, new RegExp(`${p}\\.title must NOT have fewer than 1 characters`)),
    f('title over 500 characters', { title: 't'.repeat(501) }, new RegExp(`${p}\\.title must NOT have more than 500 characters`)),
    f('title an object', { title: { text: 'x' } }, new RegExp(`${p}\\.title must be string`)),
    f('title with a NUL character', { title: 'bad\u0000title' }, /text must not contain NUL/, 400, 'bad_request'),
    f('unknown property', { colour: 'red' }, new RegExp(`${p}\\.colour is not a known property`)),
    f('priority not one of the values', { priority: 'critical' }, new RegExp(`${p}\\.priority must be equal to one of the allowed values`)),
    f('dueAt not a date-time', { dueAt: 'next tuesday' }, new RegExp(`${p}\\.dueAt must match format "date-time"`)),
    f('dueAt without a time zone', { dueAt: '2026-12-01T09:00:00' }, new RegExp(`${p}\\.dueAt must match format "date-time"`)),
    f('dueAt in year 0', { dueAt: '0000-01-01T00:00:00Z' }, YEAR_0, 400, 'bad_request'),
    f('description too long', { description: 'd'.repeat(20_001) }, new RegExp(`${p}\\.description must NOT have more than 20000`)),
    f('private not a boolean', { private: 'yes' }, new RegExp(`${p}\\.private must be boolean`)),
    f('tags not an array', { tags: { a: 1 } }, new RegExp(`${p}\\.tags must be array`)),
    f('empty tag', { tags: [''] }, new RegExp(`${p}\\.tags\\.0 must NOT have fewer than 1 characters`)),
    f('duplicate tags', { tags: ['a', 'a'] }, new RegExp(`${p}\\.tags must NOT have duplicate items`)),
    f('more than 50 tags', { tags: repeat(51, (i) => `t${i}`) }, new RegExp(`${p}\\.tags must NOT have more than 50 items`)),
    f('assignee not a uuid', { assigneeIds: ['bob'] }, new RegExp(`${p}\\.assigneeIds\\.0 must match format "uuid"`)),
    f('duplicate assignees', (c) => ({ assigneeIds: [c.t.engineer.id, c.t.engineer.id] }), new RegExp(`${p}\\.assigneeIds .*duplicate`)),
    f('unknown assignee', { assigneeIds: [UNKNOWN_USER] }, /some assignees are not users of this tenant/, 400, UNKNOWN_REF),
    f('unknown customer', { customerId: uuid() }, /customerId names something that does not exist in this tenant/, 400, UNKNOWN_REF),
    f('unknown project', { projectId: uuid() }, /projectId names something that does not exist in this tenant/, 400, UNKNOWN_REF),
    f('customer id not a uuid', { customerId: 'acme' }, new RegExp(`${p}\\.customerId must match format "uuid"`)),
  ];
}

const UNKNOWN_USER = uuid();
const UNKNOWN_REF = 'unknown_reference';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const NOT_MULTIPART = /^send the files as multipart\/form-data$/;
/** PostgreSQL has no year 0; the format check lets it through, the database names the value. */
const YEAR_0 = /a value is not valid: date\/time field value out of range: "0000-01-01T00:00:00(\.000)?Z"/;

const CASES: Record<V1Route, Case[]> = {
  'GET /v1/tasks': [
    ...paging('/v1/tasks'),
    query(
      'limit over 1000 with a due range',
      'dueAfter=2026-01-01T00:00:00Z&dueBefore=2026-02-01T00:00:00Z&limit=1001',
      /querystring\.limit must be <= (200|1000)/,
    ),
    query('tab not a tab', 'tab=later', /querystring\.tab must be equal to one of the allowed values/),
    query('priority not a priority', 'priority=critical', /querystring\.priority must be equal to one of the allowed values/),
    query('sort not a sort', 'sort=title', /querystring\.sort must be equal to one of the allowed values/),
    query('order not an order', 'order=up', /querystring\.order must be equal to one of the allowed values/),
    query('source not a source', 'source=fax', /querystring\.source must be equal to one of the allowed values/),
    query('overdue not a boolean', 'overdue=maybe', /querystring\.overdue must be boolean/),
    query('dueAfter not a date-time', 'dueAfter=yesterday', /querystring\.dueAfter must match format "date-time"/),
    query('dueBefore a date only', 'dueBefore=2026-01-01', /querystring\.dueBefore must match format "date-time"/),
    query('dueBefore month 13', 'dueBefore=2026-13-01T00:00:00Z', /querystring\.dueBefore must match format "date-time"/),
    query('dueAfter in year 0', 'dueAfter=0000-01-01T00:00:00Z', YEAR_0, 400, 'bad_request'),
    query('assignee a name', 'assignee=bob', /querystring\.assignee must match pattern/),
    query('assignee 36 dashes', `assignee=${'-'.repeat(36)}`, /querystring\.assignee must match pattern/),
    query('q empty', 'q=', /querystring\.q must NOT have fewer than 1 characters/),
    query('q over 200 characters', `q=${'q'.repeat(201)}`, /querystring\.q must NOT have more than 200 characters/),
    query('q with a NUL character', 'q=boiler%00', /text must not contain NUL/, 400, 'bad_request'),
    query('tag over 50 characters', `tag=${'t'.repeat(51)}`, /querystring\.tag must NOT have more than 50 characters/),
    query('tag with a NUL character', 'tag=a%00b', /text must not contain NUL/, 400, 'bad_request'),
    { ...query('assignee=me with an API key', 'assignee=me', /needs a user token/, 403, 'forbidden'), as: 'apiKey' },
  ],
  'POST /v1/tasks': [
    ...badJson(),
    body('no title', { priority: 'high' }, /body\.title must have required property 'title'/),
    ...taskFields('body', (task) => task, { title: 'Valid title' }),
  ],
  'POST /v1/tasks/bulk': [
    ...badJson(),
    ...badKeyHeader((c) => ({ action: 'archive', ids: [c.taskId] })),
    body('no action', (c) => ({ ids: [c.taskId] }), /body\.action must have required property 'action'/),
    body('no ids', { action: 'archive' }, /body\.ids must have required property 'ids'/),
    body('action not an action', (c) => ({ action: 'explode', ids: [c.taskId] }), /body\.action must be equal to one of the allowed/),
    body('empty ids', { action: 'archive', ids: [] }, /body\.ids must NOT have fewer than 1 items/),
    body('more than 500 ids', { action: 'archive', ids: repeat(501, () => uuid()) }, /body\.ids must NOT have more than 500 items/),
    body('duplicate ids', (c) => ({ action: 'archive', ids: [c.taskId, c.taskId] }), /body\.ids must NOT have duplicate items/),
    body('an id not a uuid', { action: 'archive', ids: ['nope'] }, /body\.ids\.0 must match format "uuid"/),
    body('ids an object', { action: 'archive', ids: { a: 1 } }, /body\.ids must be array/),
    body('unknown property', (c) => ({ action: 'archive', ids: [c.taskId], force: true }), /body\.force is not a known property/),
    keyReused('POST /v1/tasks/bulk'),
  ],
  'POST /v1/tasks/batch': [
    ...badJson(),
    ...badKeyHeader({ tasks: [{ title: 'Keyed' }] }),
    body('no tasks', {}, /body\.tasks must have required property 'tasks'/),
    body('empty tasks', { tasks: [] }, /body\.tasks must NOT have fewer than 1 items/),
    body('more than 1000 tasks', { tasks: repeat(1001, (i) => ({ title: `Job ${i}` })) }, /body\.tasks must NOT have more than 1000 items/),
    body('tasks an object', { tasks: { title: 'x' } }, /body\.tasks must be array/),
    body('unknown property', { tasks: [{ title: 'x' }], dryRun: true }, /body\.dryRun is not a known property/),
    body('one bad task among good ones', { tasks: [{ title: 'Good' }, { title: ' ' }] }, /body\.tasks\.1\.title must match pattern/),
    body(
      'an unknown assignee in the third task',
      (c) => ({ tasks: [{ title: 'a' }, { title: 'b' }, { title: 'c', assigneeIds: [c.t.engineer.id, UNKNOWN_USER] }] }),
      /some assignees are not users of this tenant/,
      400,
      UNKNOWN_REF,
    ),
    ...taskFields('body.tasks.0', (task) => ({ tasks: [task] }), { title: 'Valid title' }),
    keyReused('POST /v1/tasks/batch'),
  ],
  'GET /v1/me/tasks': [
    ...paging('/v1/me/tasks'),
    query('updatedSince not a date-time', 'updatedSince=yesterday', /querystring\.updatedSince must match format "date-time"/),
    query('updatedSince a unix time', 'updatedSince=1700000000', /querystring\.updatedSince must match format "date-time"/),
    query('updatedSince in year 0', 'updatedSince=0000-01-01T00:00:00Z', YEAR_0, 400, 'bad_request'),
    { ...query('an API key', '', /needs a user token/, 403, 'forbidden'), as: 'apiKey' },
  ],
  'GET /v1/tasks/:id': [...badIds('GET /v1/tasks/:id'), unknownTask('GET /v1/tasks/:id')],
  'PATCH /v1/tasks/:id': [
    ...badIds('PATCH /v1/tasks/:id'),
    unknownTask('PATCH /v1/tasks/:id', { payload: { title: 'Edited' } }),
    ...badJson(),
    body('an empty object', {}, /body must NOT have fewer than 1 properties/),
    body('title null', { title: null }, /body\.title must be string/),
    ...taskFields('body', (task) => task, {}),
  ],
  'DELETE /v1/tasks/:id': [...badIds('DELETE /v1/tasks/:id'), unknownTask('DELETE /v1/tasks/:id')],
  'POST /v1/tasks/:id/complete': [...badIds('POST /v1/tasks/:id/complete'), unknownTask('POST /v1/tasks/:id/complete')],
  'POST /v1/tasks/:id/reopen': [
    ...badIds('POST /v1/tasks/:id/reopen'),
    unknownTask('POST /v1/tasks/:id/reopen'),
    { name: 'an open task', request: () => ({}), status: 409, error: 'invalid_transition', message: /open/ },
  ],
  'POST /v1/tasks/:id/archive': [...badIds('POST /v1/tasks/:id/archive'), unknownTask('POST /v1/tasks/:id/archive')],
  'POST /v1/tasks/:id/cancel': [...badIds('POST /v1/tasks/:id/cancel'), unknownTask('POST /v1/tasks/:id/cancel')],
  'POST /v1/tasks/:id/status': [
    ...badIds('POST /v1/tasks/:id/status'),
    unknownTask('POST /v1/tasks/:id/status', { payload: { status: 'waiting' } }),
    ...badJson(),
    body('no status', {}, /body\.status must have required property 'status'/),
    body('status archived', { status: 'archived' }, /body\.status must be equal to one of the allowed values/),
    body('status not a status', { status: 'done' }, /body\.status must be equal to one of the allowed values/),
    body('status an array of two', { status: ['open', 'waiting'] }, /body\.status must be/),
    body('unknown property', { status: 'waiting', note: 'x' }, /body\.note is not a known property/),
  ],
  'POST /v1/tasks/:id/attachments': [
    ...badIds('POST /v1/tasks/:id/attachments'),
    raw('a JSON body', 'application/json', '{"file":"abc"}', NOT_MULTIPART, 415, 'unsupported_media_type'),
    { name: 'no body', request: () => ({}), status: 415, error: 'unsupported_media_type', message: NOT_MULTIPART },
    raw('an empty multipart upload', MULTIPART, `--${BOUNDARY}--\r\n`, /no file in the upload/),
    raw(
      'a multipart upload with only a text field',
      MULTIPART,
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${BOUNDARY}--\r\n`,
      /no file in the upload/,
    ),
    raw('multipart without a boundary', 'multipart/form-data', 'garbage', /the multipart Content-Type has no boundary/),
    {
      name: 'a boundary over 256 characters',
      request: () => multipartUpload([{ filename: 'a.txt', content: 'a' }], 'b'.repeat(300)),
      status: 400,
      error: 'bad_request',
      message: /multipart boundary is too long/,
    },
    {
      name: 'a truncated multipart upload',
      request: () => {
        const { headers, payload } = multipartUpload([{ filename: 'cut.txt', content: 'abc' }]);
        return { headers, payload: payload.subarray(0, payload.length - 20) };
      },
      status: 400,
      error: 'bad_request',
      message: /multipart body ended before its closing boundary; nothing was stored/,
    },
    unknownTask('POST /v1/tasks/:id/attachments', multipartUpload([{ filename: 'a.txt', content: 'a' }])),
  ],
  'GET /v1/tasks/:id/attachments/:attachmentId': [
    ...badIds('GET /v1/tasks/:id/attachments/:attachmentId'),
    unknownTask('GET /v1/tasks/:id/attachments/:attachmentId'),
    unknownTask('GET /v1/tasks/:id/attachments/:attachmentId', {}, 'attachment'),
  ],
};

function auth(c: Ctx, as: Case['as'] = 'admin'): Headers {
  return as === 'apiKey' ? c.t.apiKey.auth : c.t.admin.auth;
}

// isolation.test.ts checks that V1_ROUTES lists every /v1 route the app serves.
test('the table has cases for every route of V1_ROUTES', () => {
  expect(Object.keys(CASES).sort()).toEqual([...V1_ROUTES].sort());
  for (const route of V1_ROUTES) expect(CASES[route].length).toBeGreaterThan(0);
});

describe.each(V1_ROUTES)('%s', (route) => {
  test.each(CASES[route])('$name → $status $error', async (c) => {
    const base = routeRequest(route, { taskId: ctx.taskId, attachmentId: ctx.attachmentId });
    await c.setup?.(ctx, base.url as string);
    const before = await tenantRows(h, ctx.t.tenantId);
    const extra = c.request(ctx, base.url as string);
    const res = await h.app.inject({ ...base, ...extra, headers: { ...auth(ctx, c.as), ...(extra.headers as Headers | undefined) } });
    expectError(res, c.status, c.error, c.message);
    expect(await tenantRows(h, ctx.t.tenantId)).toEqual(before);
  });
});
