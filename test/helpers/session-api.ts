/**
 * Request helpers for the Sessions API suites (test/sessions/): each sends one
 * request through app.inject and checks the status it expects, so a failing
 * step names itself.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Harness, TenantFixture } from './harness';
import { type Auth, type Json, taskApi } from './task-api';

/** Every route of the Sessions API, as servedRoutes() prints them. */
export const SESSION_ROUTES = [
  'POST /v1/sessions',
  'GET /v1/sessions/:id',
  'POST /v1/sessions/:id/complete',
  'POST /v1/sessions/:id/fail',
  'POST /v1/sessions/:id/heartbeat',
  'PUT /v1/sessions/:id/recording',
  'PUT /v1/sessions/:id/thumbnail',
  'GET /v1/sessions/:id/thumbnail',
  'GET /v1/recordings/:sessionId',
] as const;

export interface SessionBody {
  id: string;
  taskId: string;
  status: string;
  thumbnailUrl: string | null;
  recording: { sizeBytes: number; contentType: string; url: string } | null;
  [key: string]: unknown;
}

export function sessionApi(h: Harness) {
  const tasks = taskApi(h);

  async function send(method: 'GET' | 'POST' | 'PUT', url: string, auth: Auth, expected: number, payload?: unknown, headers: Record<string, string> = {}) {
    const res = await h.app.inject({
      method,
      url,
      headers: { ...auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as Json }),
    });
    if (res.statusCode !== expected) throw new Error(`${method} ${url} gave ${res.statusCode}, expected ${expected}: ${res.body}`);
    return res;
  }

  const api = {
    send,
    tasks,
    /** An open task assigned to the fixture's engineer. */
    async assignedTask(t: TenantFixture, body: Json = {}) {
      return tasks.create(t.admin.auth, { title: `Session task ${randomUUID().slice(0, 8)}`, assigneeIds: [t.engineer.id], ...body });
    },
    async start(auth: Auth, taskId: string, expected = 201, id?: string) {
      return send('POST', '/v1/sessions', auth, expected, { taskId, ...(id ? { id } : {}) });
    },
    /** Starts a session as the fixture's engineer on a new assigned task. */
    async started(t: TenantFixture): Promise<SessionBody> {
      const task = await api.assignedTask(t);
      return (await api.start(t.engineer.auth, task.id)).json();
    },
    async get(auth: Auth, id: string): Promise<SessionBody> {
      return (await send('GET', `/v1/sessions/${id}`, auth, 200)).json();
    },
    async complete(auth: Auth, id: string, body?: Json, expected = 200) {
      return send('POST', `/v1/sessions/${id}/complete`, auth, expected, body);
    },
    async fail(auth: Auth, id: string, reason: string, expected = 200) {
      return send('POST', `/v1/sessions/${id}/fail`, auth, expected, { reason });
    },
    async heartbeat(auth: Auth, id: string, expected = 204) {
      return send('POST', `/v1/sessions/${id}/heartbeat`, auth, expected);
    },
    /** PUT /v1/sessions/:id/<recording|thumbnail> with a raw body: bytes (with Content-Length) or a stream (chunked). */
    async upload(auth: Auth, id: string, what: 'recording' | 'thumbnail', body: Buffer | Readable, contentType: string, expected = 200) {
      return send('PUT', `/v1/sessions/${id}/${what}`, auth, expected, body, { 'content-type': contentType });
    },
  };
  return api;
}

/** The session's row as stored (the API's own view hides the keys). */
export async function sessionRow(h: Harness, id: string) {
  const [row] = await h.sql<
    { status: string; recordingKey: string | null; recordingSizeBytes: string | null; thumbnailKey: string | null; lastSeenAt: Date }[]
  >`SELECT status, recording_key, recording_size_bytes, thumbnail_key, last_seen_at FROM sessions WHERE id = ${id}`;
  if (!row) throw new Error(`no session ${id}`);
  return row;
}
