/**
 * The Sessions API the engineer's device uses: start a session on a task,
 * stream its recording and thumbnail, keep it alive, complete or fail it.
 *
 * The task's lifecycle workflow is the single writer of session status: start,
 * complete and fail are updates to `task/<taskId>` (update id
 * `<kind>:<sessionId>`, so a repeated call is the same update), which write
 * the session row, the task row and the task event in one transaction. This
 * module writes only what the device sends while a session runs: the
 * uploads and `last_seen_at`, which the workflow's idle timeout reads.
 *
 * Who may act: an engineer on their own sessions, admins and API keys on any
 * of the tenant's. Anyone else's session is a 404, like another tenant's.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Transform, finished } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type BlobStore, type StoredBlob, taskBlobPrefix } from '../../blob/blob-store';
import { recordingUrlSettings, signRecordingUrl } from '../../blob/signed-url';
import {
  type SessionRecord,
  getSession,
  listSessionWritebacks,
  setSessionRecording,
  setSessionThumbnail,
  touchSession,
} from '../../db/repositories/sessions';
import { getTask } from '../../db/repositories/tasks';
import { type Principal, actorOf } from '../../domain/principal';
import { type TaskCommand, executeTaskCommand } from '../../temporal/task-commands';
import type { AppDeps } from '../app';
import { HttpError, badRequest, conflict, forbidden, notFound } from '../errors';
import { IdParams, errors } from '../schemas/common';
import { CompleteSessionBody, FailSessionBody, SessionSchema, StartSessionBody } from '../schemas/sessions';
import { megabytes } from '../uploads';
import { sessionThumbnailUrl, throwIfRefused } from './tasks';

const tags = ['sessions'];
const THUMBNAIL_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
const isRecordingType = (type: string) => /^video\/[\w.+-]+$/.test(type) || type === 'application/octet-stream';

/** The session, if `p` may act on it (see the header); 404 otherwise. */
async function loadSession(deps: AppDeps, p: Principal, id: string): Promise<SessionRecord> {
  const session = await getSession(deps.sql, p.tenantId, id);
  const mayAct = p.role === 'admin' || p.kind === 'api_key' || (session !== null && session.engineerId === p.userId);
  if (!session || !mayAct) throw notFound('session');
  return session;
}

/** The session as GET /v1/sessions/:id shows it, with a freshly signed recording link. */
async function sessionView(deps: AppDeps, tenantId: string, s: SessionRecord) {
  return {
    id: s.id,
    taskId: s.taskId,
    status: s.status,
    engineer: s.engineer,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    lastSeenAt: s.lastSeenAt,
    durationSeconds: s.durationSeconds,
    score: s.score,
    stepsCompleted: s.stepsCompleted,
    toolsUsed: s.toolsUsed,
    notes: s.notes,
    failureReason: s.failureReason,
    thumbnailUrl: s.thumbnailKey ? sessionThumbnailUrl(s.id) : null,
    recording: s.recordingKey
      ? {
          sizeBytes: s.recordingSizeBytes ?? 0,
          contentType: s.recordingContentType ?? 'application/octet-stream',
          url: signRecordingUrl(recordingUrlSettings(deps.config), { tenantId, sessionId: s.id }),
        }
      : null,
    summary: s.summary,
    procedures: s.procedures,
    pipeline: { state: s.pipelineState, skipped: s.pipelineSkipped },
    writebacks: await listSessionWritebacks(deps.sql, tenantId, s.id),
  };
}

async function reloadView(deps: AppDeps, p: Principal, id: string) {
  return sessionView(deps, p.tenantId, (await getSession(deps.sql, p.tenantId, id))!);
}

/** Sends a session command to the task's workflow; a refusal becomes 404 or 409. */
async function runSessionCommand(deps: AppDeps, p: Principal, taskId: string, command: TaskCommand & { sessionId: string }) {
  const updateId = `${command.kind}:${command.sessionId}`;
  throwIfRefused(await executeTaskCommand(deps.sql, deps.temporal, p.tenantId, taskId, command, { actor: actorOf(p) }, updateId));
}

const notRunning = (s: SessionRecord) => conflict('invalid_transition', `session is ${s.status}, not running`);

function tooLarge(what: string, maxBytes: number): HttpError {
  return new HttpError(413, 'file_too_large', `the ${what} is larger than ${maxBytes} bytes (${megabytes(maxBytes)} MB); nothing was stored`);
}

/** The request's media type, if `allowed`; 415 otherwise. */
function mediaType(request: FastifyRequest, allowed: (type: string) => boolean, expected: string): string {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!allowed(type)) throw new HttpError(415, 'unsupported_media_type', `send the body as ${expected}, not ${type || 'without a Content-Type'}`);
  return type;
}

/**
 * Streams the request body to `key`, counting: past `maxBytes` (a chunked
 * upload that declared no length) the upload stops with 413. The blob store
 * writes to a temporary file renamed into place at the end, so a stopped or
 * empty upload stores nothing and leaves an earlier upload at `key` as it was.
 * The body is piped, not pipeline()d: that would destroy the request, and
 * with it the socket the 413 must go out on.
 */
async function storeBody(request: FastifyRequest, reply: FastifyReply, blobs: BlobStore, key: string, what: string, maxBytes: number): Promise<StoredBlob> {
  const declared = Number(request.headers['content-length']);
  if (declared > maxBytes) throw refuseRest(reply, tooLarge(what, maxBytes));
  let size = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      done(size > maxBytes ? tooLarge(what, maxBytes) : null, chunk);
    },
    flush(done) {
      done(size === 0 ? badRequest(`the ${what} is empty; nothing was stored`) : null);
    },
  });
  // An error may come before the blob store has attached to the stream (it makes the directory
  // first); the stream keeps it, and the store's pipeline rejects with it then.
  counted.on('error', () => {});
  const body = request.body as Readable;
  // A client that goes away mid-upload ends the write too.
  finished(body, (err) => err && counted.destroy(err));
  body.pipe(counted);
  try {
    return await blobs.put(key, counted);
  } catch (err) {
    body.unpipe(counted);
    throw err instanceof HttpError && err.statusCode === 413 ? refuseRest(reply, err) : err;
  }
}

/** A 413 answers before the body is read: close the connection rather than read the rest of a large upload. */
function refuseRest(reply: FastifyReply, err: HttpError): HttpError {
  void reply.header('connection', 'close');
  return err;
}

/**
 * Points the session row at a stored upload (`save`). If the session ended
 * while the bytes arrived, the upload is dropped and the answer is 409; but
 * a blob the row already points at (an earlier upload the new bytes
 * replaced) stays: the row must not point at nothing.
 */
async function attachUpload(
  deps: AppDeps,
  p: Principal,
  session: SessionRecord,
  key: string,
  save: () => Promise<boolean>,
  keyOf: (s: SessionRecord) => string | null,
): Promise<void> {
  if (await save()) return;
  const now = await getSession(deps.sql, p.tenantId, session.id);
  if (!now || keyOf(now) !== key) await deps.blobs.delete(key);
  throw notRunning(now ?? session);
}

/** PUT recording and thumbnail: their scope takes any body as a stream, unparsed and unbuffered. */
const uploadRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql, blobs, config } = deps;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  const sessionPrefix = (tenantId: string, s: SessionRecord) => `${taskBlobPrefix(tenantId, s.taskId)}sessions/${s.id}/`;

  app.put(
    '/sessions/:id/recording',
    {
      schema: {
        tags,
        summary: `Upload the session's recording (raw body, video/* or application/octet-stream, up to ${megabytes(config.sessions.recordingMaxBytes)} MB)`,
        description:
          'The body is the file, streamed to storage as it arrives (chunked uploads too). Only while the session runs; ' +
          'a second upload replaces the first. Too large: 413 and nothing stored. Counts as a sign of life.',
        consumes: ['video/mp4', 'video/webm', 'application/octet-stream'],
        params: IdParams,
        response: { 200: Type.Ref(SessionSchema), ...errors(400, 401, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const session = await loadSession(deps, p, request.params.id);
      const contentType = mediaType(request, isRecordingType, 'video/* or application/octet-stream');
      if (session.status !== 'running') throw notRunning(session);
      const key = `${sessionPrefix(p.tenantId, session)}staging/recording`;
      const stored = await storeBody(request, reply, blobs, key, 'recording', config.sessions.recordingMaxBytes);
      const saved = () => setSessionRecording(sql, p.tenantId, session.id, { key, contentType, sizeBytes: stored.sizeBytes });
      await attachUpload(deps, p, session, key, saved, (s) => s.recordingKey);
      return reloadView(deps, p, session.id);
    },
  );

  app.put(
    '/sessions/:id/thumbnail',
    {
      schema: {
        tags,
        summary: `Upload the session's thumbnail (raw body, ${THUMBNAIL_TYPES.join(', ')}, up to ${megabytes(config.attachmentMaxBytes)} MB)`,
        description: 'While the session runs or once it completed; a second upload replaces the first. The task detail shows it.',
        consumes: THUMBNAIL_TYPES,
        params: IdParams,
        response: { 200: Type.Ref(SessionSchema), ...errors(400, 401, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const session = await loadSession(deps, p, request.params.id);
      const contentType = mediaType(request, (type) => THUMBNAIL_TYPES.includes(type), THUMBNAIL_TYPES.join(', '));
      if (session.status !== 'running' && session.status !== 'completed') throw notRunning(session);
      const key = `${sessionPrefix(p.tenantId, session)}thumbnail`;
      await storeBody(request, reply, blobs, key, 'thumbnail', config.attachmentMaxBytes);
      await attachUpload(deps, p, session, key, () => setSessionThumbnail(sql, p.tenantId, session.id, { key, contentType }), (s) => s.thumbnailKey);
      return reloadView(deps, p, session.id);
    },
  );
};

export const sessionRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql, config } = deps;

  app.post(
    '/sessions',
    {
      schema: {
        tags,
        summary: 'Start a session on a task (an assignee, or an admin / API key): the task goes In Progress',
        description:
          'One running session per task (409 otherwise). A session the device stays silent on (no upload, no heartbeat) for ' +
          'SESSION_IDLE_TIMEOUT_SECONDS is failed as abandoned and the task goes back to open.',
        body: StartSessionBody,
        response: { 200: Type.Ref(SessionSchema), 201: Type.Ref(SessionSchema), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const { taskId } = request.body;
      if (request.body.id) {
        // A repeated start (the device lost the answer): the same session, 200. Anyone else's id is taken.
        const earlier = await getSession(sql, p.tenantId, request.body.id);
        if (earlier) {
          if (earlier.taskId !== taskId) throw conflict('session_id_taken', 'this session id belongs to another session; choose a new one');
          return reply.status(200).send(await sessionView(deps, p.tenantId, await loadSession(deps, p, earlier.id)));
        }
      }
      const task = await getTask(sql, p, taskId);
      if (!task) throw notFound();
      const assigned = task.assignees.some((a) => a.id === p.userId);
      if (!assigned && p.role !== 'admin' && p.kind !== 'api_key') {
        throw forbidden('only an assignee of the task or a tenant admin may start a session on it');
      }
      const sessionId = request.body.id ?? randomUUID();
      const { idleTimeoutSeconds } = config.sessions;
      await runSessionCommand(deps, p, taskId, { kind: 'start_session', sessionId, engineerId: p.userId, idleTimeoutSeconds });
      return reply.status(201).send(await reloadView(deps, p, sessionId));
    },
  );

  app.get(
    '/sessions/:id',
    {
      schema: {
        tags,
        summary: 'A session: its metrics, recording link, thumbnail, and where its pipeline and job notes stand',
        params: IdParams,
        response: { 200: Type.Ref(SessionSchema), ...errors(400, 401, 404) },
      },
    },
    async (request) => sessionView(deps, request.principal.tenantId, await loadSession(deps, request.principal, request.params.id)),
  );

  app.post(
    '/sessions/:id/complete',
    {
      schema: {
        tags,
        summary: 'Complete the session: the task is completed (Session ✓) and the post-session pipeline starts',
        description: 'Completing a completed session again answers it as it is and changes nothing. A failed or abandoned one: 409.',
        params: IdParams,
        body: CompleteSessionBody,
        response: { 200: Type.Ref(SessionSchema), ...errors(400, 401, 404, 409) },
      },
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const p = request.principal;
      const session = await loadSession(deps, p, request.params.id);
      if (session.status === 'running') {
        await runSessionCommand(deps, p, session.taskId, { kind: 'complete_session', sessionId: session.id, outcome: request.body });
      } else if (session.status !== 'completed') {
        throw conflict('invalid_transition', `session is ${session.status}; it cannot be completed`);
      }
      return reloadView(deps, p, session.id);
    },
  );

  app.post(
    '/sessions/:id/fail',
    {
      schema: {
        tags,
        summary: "Record a failed attempt: it joins the task's failed sessions and the task goes back to open",
        description: 'Failing a failed or abandoned session again changes nothing. A completed one: 409.',
        params: IdParams,
        body: FailSessionBody,
        response: { 200: Type.Ref(SessionSchema), ...errors(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const p = request.principal;
      const session = await loadSession(deps, p, request.params.id);
      if (session.status === 'running') {
        await runSessionCommand(deps, p, session.taskId, { kind: 'fail_session', sessionId: session.id, reason: request.body.reason });
      } else if (session.status === 'completed') {
        throw conflict('invalid_transition', 'session is completed; it cannot fail');
      }
      return reloadView(deps, p, session.id);
    },
  );

  app.post(
    '/sessions/:id/heartbeat',
    {
      schema: {
        tags,
        summary: "The device's keep-alive while a session runs",
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const session = await loadSession(deps, p, request.params.id);
      if (!(await touchSession(sql, p.tenantId, session.id))) throw notRunning(session);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/sessions/:id/thumbnail',
    {
      schema: {
        tags,
        summary: "The session's thumbnail, for anyone who can see its task (the task detail shows it)",
        params: IdParams,
        response: { 200: Type.Any({ description: 'the image' }), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const session = await getSession(sql, p.tenantId, request.params.id);
      const visible = session && (await getTask(sql, p, session.taskId));
      const image = visible && session.thumbnailKey && (await deps.blobs.get(session.thumbnailKey));
      if (!image) throw notFound('thumbnail');
      return reply.header('content-type', session.thumbnailContentType ?? 'application/octet-stream').send(image);
    },
  );

  await app.register(uploadRoutes, deps);
};
