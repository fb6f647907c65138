/**
 * The Tasks API the Dashboard, devices and tenant developers use.
 * Row writes happen here; lifecycle changes go through the task's workflow.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { BulkItemResult } from '../../activities/maintenance-activities';
import { unknownUserIds } from '../../db/repositories/accounts';
import { listAttachments } from '../../db/repositories/attachments';
import { lockIdempotencyKey, storeIdempotentResponse } from '../../db/repositories/idempotency';
import { listTaskSessions } from '../../db/repositories/sessions';
import { recordTaskEvents } from '../../db/repositories/task-events';
import {
  type CreatedTask,
  type NewTask,
  type TaskEditable,
  getTask,
  insertTasks,
  listAssignedTasksSince,
  listTasks,
  updateTask,
} from '../../db/repositories/tasks';
import type { Db, Sql } from '../../db/sql';
import { bulkWorkflowId, taskWorkflowId } from '../../domain/ids';
import { dueDateChangedSignal } from '../../domain/messages';
import { type Principal, actorOf } from '../../domain/principal';
import type { TaskSource } from '../../domain/task';
import { type TaskCommand, executeTaskCommand } from '../../temporal/task-commands';
import { ensureTaskWorkflows } from '../../temporal/task-workflows';
import type { AppDeps } from '../app';
import { type ErrorDetail, HttpError, conflict, forbidden, notFound } from '../errors';
import { requireAdmin, requireAdminOrApiKey, requireUser } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import {
  BatchBody,
  BatchResult,
  BulkBody,
  BulkResult,
  CreateTaskBody,
  ListTasksQuery,
  MyTasksList,
  MyTasksQuery,
  PatchTaskBody,
  StatusBody,
  TaskDetail,
  TaskList,
} from '../schemas/tasks';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a replay returns the first result' })),
});

type CreateBody = (typeof CreateTaskBody)['static'];

export const attachmentUrl = (taskId: string, id: string) => `/v1/tasks/${taskId}/attachments/${id}`;

/** The task detail modal: the task, its attachments, its session block and failed sessions. */
export async function loadTaskDetail(sql: Sql, p: Principal, id: string) {
  const task = await getTask(sql, p, id);
  if (!task) throw notFound();
  const [attachments, sessions] = await Promise.all([listAttachments(sql, p.tenantId, id), listTaskSessions(sql, p.tenantId, id)]);
  const linked = sessions.find((s) => s.status === 'running' || s.status === 'completed') ?? null;
  return {
    ...task,
    attachments: attachments.map((a) => ({ ...a, url: attachmentUrl(id, a.id) })),
    session: linked && {
      ...linked,
      thumbnailUrl: null,
      url: `/v1/sessions/${linked.id}`,
    },
    failedSessions: sessions
      .filter((s) => s.status === 'failed' || s.status === 'abandoned')
      .map((s) => ({ id: s.id, startedAt: s.startedAt, failedAt: s.endedAt, reason: s.failureReason })),
  };
}

/** Assignees must be users of the tenant; says which are not. */
async function checkAssignees(db: Db, tenantId: string, bodies: { assigneeIds?: string[] }[], prefix: (i: number) => string) {
  const all = bodies.flatMap((b) => b.assigneeIds ?? []);
  const unknown = new Set(await unknownUserIds(db, tenantId, all));
  if (unknown.size === 0) return;
  const details: ErrorDetail[] = [];
  bodies.forEach((b, i) =>
    (b.assigneeIds ?? []).forEach((id, j) => {
      if (unknown.has(id)) details.push({ path: `${prefix(i)}.assigneeIds.${j}`, message: `no user ${id} in this tenant` });
    }),
  );
  throw new HttpError(400, 'unknown_reference', 'some assignees are not users of this tenant', details);
}

function toNewTask(body: CreateBody, p: Principal, source: TaskSource): NewTask {
  return { ...body, source, createdBy: p.userId };
}

function sourceOf(p: Principal): TaskSource {
  return p.kind === 'api_key' ? 'api' : 'manual';
}

/** Who may run which lifecycle command on a task. */
function authorizeCommand(p: Principal, command: TaskCommand, assigneeIds: string[]): void {
  if (p.role === 'admin') return;
  const mayWork = p.userId !== null && assigneeIds.includes(p.userId);
  if ((command.kind === 'complete' || command.kind === 'reopen' || command.kind === 'move') && mayWork) return;
  throw forbidden(
    command.kind === 'complete' || command.kind === 'reopen' || command.kind === 'move'
      ? 'only a tenant admin or an assignee of the task may do this'
      : 'only a tenant admin may do this',
  );
}

export const taskRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['tasks'];

  app.get(
    '/tasks',
    {
      schema: {
        tags,
        summary: 'List tasks: a status tab, filters, sort, keyset pages, and counts per tab',
        querystring: ListTasksQuery,
        response: { 200: TaskList, ...errors(400, 401) },
      },
    },
    async (request) => {
      const p = request.principal;
      const q = request.query;
      if (q.assignee === 'me') requireUser(p);
      return listTasks(sql, p, { ...q, tab: q.tab ?? 'all', sort: q.sort ?? 'created', limit: q.limit ?? 50 });
    },
  );

  app.post(
    '/tasks',
    {
      schema: {
        tags,
        summary: 'Create a task (admin: source manual; API key: source api)',
        body: CreateTaskBody,
        response: { 201: TaskDetail, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdminOrApiKey(p);
      const task = await sql.begin(async (tx) => {
        await checkAssignees(tx, p.tenantId, [request.body], () => 'body');
        const [created] = await insertTasks(tx, p.tenantId, [toNewTask(request.body, p, sourceOf(p))]);
        await recordTaskEvents(tx, [{ tenantId: p.tenantId, taskId: created!.id, type: 'task.created', actor: actorOf(p), data: request.body }]);
        return created!;
      });
      await startWorkflowsOrLeaveToReconciler([task], request.log);
      return reply.status(201).send(await loadTaskDetail(sql, p, task.id));
    },
  );

  /** The rows are committed; if Temporal is unreachable now, the reconciler starts their workflows later. */
  async function startWorkflowsOrLeaveToReconciler(tasks: CreatedTask[], log: { warn: (o: object, m: string) => void }) {
    try {
      await ensureTaskWorkflows(sql, deps.temporal, tasks);
    } catch (err) {
      log.warn({ err, count: tasks.length }, 'task workflows not started; the reconciler will start them');
    }
  }

  app.get(
    '/tasks/:id',
    {
      schema: {
        tags,
        summary: 'One task with attachments, its session block and failed sessions',
        params: IdParams,
        response: { 200: TaskDetail, ...errors(400, 401, 404) },
      },
    },
    async (request) => loadTaskDetail(sql, request.principal, request.params.id),
  );

  app.patch(
    '/tasks/:id',
    {
      schema: {
        tags,
        summary: 'Edit a task (admin). Assignees, when given, replace the current ones.',
        params: IdParams,
        body: PatchTaskBody,
        response: { 200: TaskDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireAdmin(p);
      const { id } = request.params;
      const patch: TaskEditable = request.body;
      const before = await getTask(sql, p, id);
      if (!before) throw notFound();
      await sql.begin(async (tx) => {
        await checkAssignees(tx, p.tenantId, [patch], () => 'body');
        if (!(await updateTask(tx, p.tenantId, id, patch))) throw notFound();
        await recordTaskEvents(tx, [{ tenantId: p.tenantId, taskId: id, type: 'task.updated', actor: actorOf(p), data: { ...patch } }]);
      });
      const newDue = patch.dueAt === undefined ? undefined : patch.dueAt === null ? null : new Date(patch.dueAt).toISOString();
      if (newDue !== undefined && newDue !== (before.dueAt?.toISOString() ?? null)) {
        // The overdue timer re-arms. If this signal is lost, the timer's
        // activity reads the due date from the row when it fires.
        await deps.temporal.client.workflow
          .getHandle(taskWorkflowId(id))
          .signal(dueDateChangedSignal, { dueAt: newDue })
          .catch((err: unknown) => request.log.warn({ err, taskId: id }, 'due date signal not delivered'));
      }
      return loadTaskDetail(sql, p, id);
    },
  );

  app.delete(
    '/tasks/:id',
    {
      schema: {
        tags,
        summary: 'Delete a task (admin): its attachments, session links and workflow go too. Irreversible.',
        params: IdParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      await runCommand(p, request.params.id, { kind: 'delete' });
      return reply.status(204).send(null);
    },
  );

  async function runCommand(p: Principal, id: string, command: TaskCommand) {
    const task = await getTask(sql, p, id);
    if (!task) throw notFound();
    authorizeCommand(
      p,
      command,
      task.assignees.map((a) => a.id),
    );
    const result = await executeTaskCommand(sql, deps.temporal, p.tenantId, id, command, { actor: actorOf(p) });
    if (!result.ok) {
      if (result.code === 'not_found') throw notFound();
      throw conflict('invalid_transition', result.message);
    }
  }

  const commandRoute = (path: string, summary: string, toCommand: (body: unknown) => TaskCommand, body?: typeof StatusBody) =>
    app.post(
      `/tasks/:id/${path}`,
      {
        schema: {
          tags,
          summary,
          params: IdParams,
          ...(body ? { body } : {}),
          response: { 200: TaskDetail, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const p = request.principal;
        await runCommand(p, request.params.id, toCommand(request.body));
        return loadTaskDetail(sql, p, request.params.id);
      },
    );

  commandRoute('complete', 'Mark complete (Manual ✓); admin or an assignee', () => ({ kind: 'complete' }));
  commandRoute('reopen', 'Reopen a completed, cancelled or archived task; admin or an assignee', () => ({ kind: 'reopen' }));
  commandRoute('archive', 'Archive (admin); non-destructive', () => ({ kind: 'archive' }));
  commandRoute('cancel', 'Cancel (admin)', () => ({ kind: 'cancel' }));
  commandRoute(
    'status',
    'Move to a status, as a Kanban drag does; admin or an assignee',
    (body) => {
      const { status } = body as (typeof StatusBody)['static'];
      if (status === 'completed') return { kind: 'complete' };
      if (status === 'cancelled') return { kind: 'cancel' };
      return { kind: 'move', status };
    },
    StatusBody,
  );

  app.post(
    '/tasks/bulk',
    {
      schema: {
        tags,
        summary: 'Bulk Complete / Archive / Delete (admin), up to 500 ids, a result per id',
        description:
          'Runs as a durable workflow: once accepted it finishes even if this API process dies. ' +
          'Send an Idempotency-Key to get the same run (and its results) on a retry.',
        headers: IdempotencyHeaders,
        body: BulkBody,
        response: { 200: BulkResult, ...errors(400, 401, 403, 422) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireAdmin(p);
      const { action, ids } = request.body;
      const key = request.headers['idempotency-key'];
      const requestHash = hashOf(request.body);
      const requestId = key ? createHash('sha256').update(key).digest('hex').slice(0, 32) : randomUUID();
      const handle = await deps.temporal.client.workflow.start('bulkTaskActionWorkflow', {
        workflowId: bulkWorkflowId(p.tenantId, requestId),
        taskQueue: deps.temporal.taskQueue,
        args: [{ tenantId: p.tenantId, requestId, action, ids, actor: actorOf(p) }],
        memo: { requestHash },
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
      if (key) {
        const { memo } = await handle.describe();
        if (memo?.requestHash !== requestHash) throw keyReused();
      }
      const { results } = (await handle.result()) as { results: BulkItemResult[] };
      const succeeded = results.filter((r) => r.ok).length;
      return { action, succeeded, failed: results.length - succeeded, results };
    },
  );

  app.post(
    '/tasks/batch',
    {
      schema: {
        tags,
        summary: 'Create up to 1000 tasks at once (API key or admin); all or nothing',
        description: 'With an Idempotency-Key, a replay returns the first response and creates nothing.',
        headers: IdempotencyHeaders,
        body: BatchBody,
        response: { 201: BatchResult, 200: BatchResult, ...errors(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdminOrApiKey(p);
      const key = request.headers['idempotency-key'];
      const requestHash = hashOf(request.body);
      const outcome = await sql.begin(async (tx) => {
        if (key) {
          const stored = await lockIdempotencyKey(tx, p.tenantId, key);
          if (stored && stored.requestHash !== requestHash) throw keyReused();
          if (stored) return { replayed: true as const, response: stored.response as (typeof BatchResult)['static'] };
        }
        const bodies = request.body.tasks;
        await checkAssignees(tx, p.tenantId, bodies, (i) => `body.tasks.${i}`);
        const created = await insertTasks(
          tx,
          p.tenantId,
          bodies.map((b) => toNewTask(b, p, sourceOf(p))),
        );
        await recordTaskEvents(
          tx,
          created.map((t, i) => ({ tenantId: p.tenantId, taskId: t.id, type: 'task.created', actor: actorOf(p), data: bodies[i] })),
        );
        const response = {
          count: created.length,
          tasks: created.map((t, i) => ({ id: t.id, title: bodies[i]!.title, status: t.status, dueAt: t.dueAt, createdAt: t.createdAt })),
        };
        if (key) await storeIdempotentResponse(tx, p.tenantId, key, { requestHash, statusCode: 201, response });
        return { replayed: false as const, response, created };
      });
      if (outcome.replayed) {
        return reply.status(200).header('idempotent-replayed', 'true').send(outcome.response);
      }
      await startWorkflowsOrLeaveToReconciler(outcome.created, request.log);
      return reply.status(201).send(outcome.response);
    },
  );

  app.get(
    '/me/tasks',
    {
      schema: {
        tags,
        summary: "The caller's assigned tasks changed since a time, oldest change first (device sync)",
        querystring: MyTasksQuery,
        response: { 200: MyTasksList, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireUser(p);
      const q = request.query;
      return listAssignedTasksSince(sql, p, q.updatedSince, q.cursor, q.limit ?? 100);
    },
  );
};

function hashOf(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

function keyReused(): HttpError {
  return new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
}

