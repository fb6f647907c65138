/**
 * Small request helpers for the Tasks API suites (list.test.ts, crud.test.ts):
 * each sends one request through app.inject and checks the status it expects.
 */
import { randomUUID } from 'node:crypto';
import { createToken, createUser } from '../../db/repositories/accounts';
import type { Harness, TenantFixture } from './harness';

export type Auth = { authorization: string };
export type Json = Record<string, unknown>;
export interface Row {
  id: string;
  title: string;
  status: string;
  [key: string]: unknown;
}

export function taskApi(h: Harness) {
  async function send(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    auth: Auth,
    expected: number,
    opts: { payload?: unknown; query?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    const res = await h.app.inject({
      method,
      url,
      headers: { ...auth, ...opts.headers },
      ...(opts.payload === undefined ? {} : { payload: opts.payload as Json }),
      ...(opts.query ? { query: opts.query } : {}),
    });
    if (res.statusCode !== expected) {
      throw new Error(`${method} ${url} gave ${res.statusCode}, expected ${expected}: ${res.body}`);
    }
    return res;
  }

  const api = {
    send,
    async create(auth: Auth, body: Json): Promise<Row> {
      return (await send('POST', '/v1/tasks', auth, 201, { payload: body })).json();
    },
    async get(auth: Auth, id: string): Promise<Row> {
      return (await send('GET', `/v1/tasks/${id}`, auth, 200)).json();
    },
    async patch(auth: Auth, id: string, body: Json): Promise<Row> {
      return (await send('PATCH', `/v1/tasks/${id}`, auth, 200, { payload: body })).json();
    },
    /** POST /v1/tasks/:id/<action> (complete, reopen, archive, cancel, or status with a body). */
    async command(auth: Auth, id: string, action: string, body?: Json, expected = 200) {
      return send('POST', `/v1/tasks/${id}/${action}`, auth, expected, body ? { payload: body } : {});
    },
    async list(auth: Auth, query: Record<string, string> = {}): Promise<{ items: Row[]; nextCursor: string | null; counts: Json }> {
      return (await send('GET', '/v1/tasks', auth, 200, { query })).json();
    },
    /** Every page of a list, following nextCursor. */
    async walk(auth: Auth, query: Record<string, string>, url = '/v1/tasks'): Promise<{ ids: string[]; pages: number }> {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: Row[]; nextCursor: string | null } = (
          await send('GET', url, auth, 200, { query: { ...query, ...(cursor ? { cursor } : {}) } })
        ).json();
        ids.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
        pages++;
        if (pages > 500) throw new Error('pagination does not end');
      } while (cursor);
      return { ids, pages };
    },
    async batch(auth: Auth, tasks: Json[], opts: { key?: string; expected?: number } = {}) {
      return send('POST', '/v1/tasks/batch', auth, opts.expected ?? 201, {
        payload: { tasks },
        ...(opts.key ? { headers: { 'idempotency-key': opts.key } } : {}),
      });
    },
    async bulk(auth: Auth, action: string, ids: string[], opts: { key?: string; expected?: number } = {}) {
      return send('POST', '/v1/tasks/bulk', auth, opts.expected ?? 200, {
        payload: { action, ids },
        ...(opts.key ? { headers: { 'idempotency-key': opts.key } } : {}),
      });
    },
    /** Puts a new task into `status` through the lifecycle routes, as the admin. */
    async taskIn(t: TenantFixture, status: string, body: Json = {}): Promise<Row> {
      const task = await api.create(t.admin.auth, { title: `${status} task`, ...body });
      const steps: Record<string, [string, Json?][]> = {
        open: [],
        in_progress: [['status', { status: 'in_progress' }]],
        waiting: [['status', { status: 'waiting' }]],
        completed: [['complete']],
        cancelled: [['cancel']],
        archived: [['archive']],
      };
      for (const [action, payload] of steps[status]!) await api.command(t.admin.auth, task.id, action, payload);
      return api.get(t.admin.auth, task.id);
    },
    /** Uploads files as multipart/form-data; returns the response. */
    async upload(auth: Auth, taskId: string, files: { name: string; content: Buffer }[], expected = 201) {
      const boundary = `b-${randomUUID()}`;
      const parts = files.map(({ name, content }) =>
        Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
              'Content-Type: text/plain\r\n\r\n',
          ),
          content,
          Buffer.from('\r\n'),
        ]),
      );
      return h.app.inject({
        method: 'POST',
        url: `/v1/tasks/${taskId}/attachments`,
        headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
      }).then((res) => {
        if (res.statusCode !== expected) throw new Error(`upload gave ${res.statusCode}: ${res.body}`);
        return res;
      });
    },
  };
  return api;
}

/** Another user of the tenant, with a token. */
export async function addUser(h: Harness, tenantId: string, name: string, role: 'admin' | 'engineer' = 'engineer') {
  const user = await createUser(h.sql, tenantId, { email: `${randomUUID()}@t.test`, name, role });
  const { token } = await createToken(h.sql, tenantId, { userId: user.id });
  return { id: user.id, auth: { authorization: `Bearer ${token}` } };
}

/** The id of the fixture's API key token: task events name it as their actor. */
export async function apiKeyId(h: Harness, tenantId: string): Promise<string> {
  const [row] = await h.sql<{ id: string }[]>`SELECT id FROM api_tokens WHERE tenant_id = ${tenantId} AND kind = 'api_key'`;
  if (!row) throw new Error('no API key');
  return row.id;
}

export interface EventRow {
  type: string;
  actorKind: string;
  actorId: string | null;
  data: Json;
}

/** A task's events, oldest first. */
export async function eventsOf(h: Harness, taskId: string): Promise<EventRow[]> {
  return h.sql<EventRow[]>`
    SELECT type, actor_kind, actor_id, data FROM task_events WHERE task_id = ${taskId} ORDER BY created_at, id`;
}

/** How many rows of `table` (a fixed name, never input) belong to the tenant. */
export async function countRows(h: Harness, table: 'tasks' | 'task_events' | 'task_assignees' | 'attachments', tenantId: string) {
  const [row] = await h.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${h.sql(table)} WHERE tenant_id = ${tenantId}`;
  return row!.n;
}

export const ids = (rows: { id: string }[]) => rows.map((r) => r.id);

/** Ids (or any strings) in a fixed order, to compare sets. */
export const sorted = (xs: string[]) => [...xs].sort();
