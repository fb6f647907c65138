/**
 * The Tasks API the Dashboard, devices and tenant developers use.
 * Row writes happen here; lifecycle changes go through the task's workflow.
 */
import { createHash, randomUUID } from 'node:crypto';
import stableStringify from 'safe-stable-stringify';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { BulkItemResult } from '../../activities/maintenance-activities';
import { listAttachments } from '../../db/repositories/attachments';
import { lockIdempotencyKey, storeIdempotentResponse } from '../../db/repositories/idempotency';
import { listTaskSessions } from '../../db/repositories/sessions';
import { recordTaskEvents } from '../../db/repositories/task-events';
import {
  type CreatedTask,
  type NewTask,
  type TaskEditable,
  type TaskRow,
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
import { type CommandOutcome, type TaskCommand, executeTaskCommand } from '../../temporal/task-commands';
import { ensureTaskWorkflows } from '../../temporal/task-workflows';
import type { AppDeps } from '../app';
import { HttpError, badRequest, conflict, forbidden, notFound } from '../errors';
import { requireAdmin, requireAdminOrApiKey, requireUser } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import { prepareNewTasks, preparePatch } from '../task-input';
import {
  BatchBody,
  BatchResult,
  BulkBody,
  BulkResult,
  CreateTaskBody,
  LIST_LIMIT,
  ListTasksQuery,
  MyTasksList,
  MyTasksQuery,
  PatchTaskBody,
  StatusBody,
  TaskDetail,
  TaskListResponse,
} from '../schemas/tasks';

const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'a replay returns the first result' })),
});

type CreateBody = (typeof CreateTaskBody)['static'];

export const attachmentUrl = (taskId: string, id: string) => `/v1/tasks/${taskId}/attachments/${id}`;
export const sessionUrl = (id: string) => `/v1/sessions/${id}`;
export const sessionThumbnailUrl = (id: string) => `/v1/sessions/${id}/thumbnail`;

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
      thumbnailUrl: linked.thumbnailKey ? sessionThumbnailUrl(linked.id) : null,
      url: sessionUrl(linked.id),
    },
    failedSessions: sessions
      .filter((s) => s.status === 'failed' || s.status === 'abandoned')
      .map((s) => ({ id: s.id, startedAt: s.startedAt, failedAt: s.endedAt, reason: s.failureReason })),
  };
}

export function toNewTask(body: CreateBody, p: Principal): NewTask {
  return { ...body, source: p.kind === 'api_key' ? 'api' : 'manual', createdBy: p.userId };
}

type Log = { warn: (o: object, m: string) => void };

/** The rows are committed; if Temporal is unreachable now, the reconciler starts their workflows later. */
async function startWorkflowsOrLeaveToReconciler(deps: AppDeps, tasks: CreatedTask[], log: Log) {
  try {
    await ensureTaskWorkflows(deps.sql, deps.temporal, tasks);
  } catch (err) {
    log.warn({ err, count: tasks.length }, 'task workflows not started; the reconciler will start them');
  }
}

/**
 * Creates one task as POST /v1/tasks does: the row, its assignees and its
 * task.created event in one transaction (`alsoWrite` adds to it), then its
 * lifecycle workflow, which starts from the row's status.
 */
export async function createTask(
  deps: AppDeps,
  p: Principal,
  task: NewTask | ((tx: Db) => Promise<NewTask>),
  opts: { eventData: Record<string, unknown>; log: Log; alsoWrite?: (tx: Db, created: CreatedTask) => Promise<void> },
): Promise<CreatedTask> {
  const created = await deps.sql.begin(async (tx) => {
    const [ready] = await prepareNewTasks(tx, p.tenantId, [typeof task === 'function' ? await task(tx) : task], () => 'body');
    const [row] = await insertTasks(tx, p.tenantId, [ready!]);
    await recordTaskEvents(tx, [{ tenantId: p.tenantId, taskId: row!.id, type: 'task.created', actor: actorOf(p), data: opts.eventData }]);
    await opts.alsoWrite?.(tx, row!);
    return row!;
  });
  await startWorkflowsOrLeaveToReconciler(deps, [created], opts.log);
  return created;
}

/** A list row as the mobile list shows it (view=compact). */
function compactRow(r: TaskRow) {
  const { id, title, status, priority, dueAt, dueDate, overdue } = r;
  return { id, title, status, priority, dueAt, dueDate, overdue, assignees: r.assignees.map((a) => ({ id: a.id, name: a.name })) };
}

/** A command the task's workflow refused, as HTTP: the task gone is 404, a refused transition 409 with its reason. */
export function throwIfRefused(result: CommandOutcome): void {
  if (result.ok) return;
  if (result.code === 'not_found') throw notFound();
  throw conflict('invalid_transition', result.message);
}

/** Who may run which lifecycle command on a task. */
function authorizeCommand(p: Principal, command: TaskCommand, assigneeIds: string[]): void {
  // A tenant API key is the tenant's own integration: it may drive lifecycles (delete stays admin-only).
  if (p.role === 'admin' || (p.kind === 'api_key' && command.kind !== 'delete')) return;
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
        description:
          'Filters combine. customerId with related=true adds the tasks of customers linked to it; hideCompleted=true leaves ' +
          'completed tasks out. A calendar month: dueAfter, dueBefore, sort=due and a limit up to 1000.',
        querystring: ListTasksQuery,
        response: { 200: TaskListResponse, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const p = request.principal;
      const q = request.query;
      if (q.assignee === 'me') requireUser(p);
      const limit = q.limit ?? 50;
      if (limit > LIST_LIMIT && !(q.dueAfter && q.dueBefore)) {
        throw badRequest(`limit above ${LIST_LIMIT} needs both dueAfter and dueBefore`, [
          { path: 'querystring.limit', message: `at most ${LIST_LIMIT} without a due-date range` },
        ]);
      }
      const list = await listTasks(sql, p, { ...q, tab: q.tab ?? 'all', sort: q.sort ?? 'created', limit });
      return q.view === 'compact' ? { ...list, items: list.items.map(compactRow) } : list;
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
      const task = await createTask(deps, p, toNewTask(request.body, p), { eventData: request.body, log: request.log });
      return reply.status(201).send(await loadTaskDetail(sql, p, task.id));
    },
  );

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
      const before = await getTask(sql, p, id);
      if (!before) throw notFound();
      const patch: TaskEditable = await sql.begin(async (tx) => {
        const resolved = await preparePatch(tx, p.tenantId, request.body as TaskEditable, before);
        if (!(await updateTask(tx, p.tenantId, id, resolved))) throw notFound();
        await recordTaskEvents(tx, [{ tenantId: p.tenantId, taskId: id, type: 'task.updated', actor: actorOf(p), data: { ...resolved } }]);
        return resolved;
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
    throwIfRefused(await executeTaskCommand(sql, deps.temporal, p.tenantId, id, command, { actor: actorOf(p) }));
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
      const workflowId = bulkWorkflowId(p.tenantId, requestId);
      // A retry joins the run its key started, running or finished; it never starts another.
      const handle = await deps.temporal.client.workflow
        .start('bulkTaskActionWorkflow', {
          workflowId,
          taskQueue: deps.temporal.taskQueue,
          args: [{ tenantId: p.tenantId, requestId, action, ids, actor: actorOf(p) }],
          memo: { requestHash },
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        })
        .catch((err: unknown) => {
          if (err instanceof WorkflowExecutionAlreadyStartedError) return deps.temporal.client.workflow.getHandle(workflowId);
          throw err;
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
        const newTasks = bodies.map((b) => toNewTask(b, p));
        const created = await insertTasks(tx, p.tenantId, await prepareNewTasks(tx, p.tenantId, newTasks, (i) => `body.tasks.${i}`));
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
      await startWorkflowsOrLeaveToReconciler(deps, outcome.created, request.log);
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

/** The body's hash for Idempotency-Key reuse checks: keys sorted, so a retry that orders its JSON differently is the same request. */
function hashOf(body: unknown): string {
  return createHash('sha256').update(stableStringify(body) ?? '').digest('hex');
}

function keyReused(): HttpError {
  return new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was used with a different request body');
}

