/**
 * Comments on a task: whoever may see the task reads them (a private task's
 * comments are 404 to everyone else, as the task is); users comment; the
 * author or an admin edits and deletes. Every change is a task event.
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { deleteComment, editComment, getComment, insertComment, listComments } from '../../db/repositories/task-comments';
import { type NewTaskEvent, recordTaskEvents } from '../../db/repositories/task-events';
import { getTask } from '../../db/repositories/tasks';
import { type Principal, actorOf } from '../../domain/principal';
import type { AppDeps } from '../app';
import { forbidden, notFound } from '../errors';
import { requireUser } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import { CommentBody, CommentList, CommentParams, CommentSchema, ListCommentsQuery } from '../schemas/task-comments';

const event = (p: Principal, taskId: string, type: string, data: Record<string, unknown>): NewTaskEvent => ({
  tenantId: p.tenantId,
  taskId,
  type,
  actor: actorOf(p),
  data,
});

export const taskCommentRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql } = deps;
  const tags = ['comments'];

  /** The task must be one the caller may see: otherwise 404, as GET /v1/tasks/:id says. */
  async function requireVisibleTask(p: Principal, taskId: string) {
    if (!(await getTask(sql, p, taskId))) throw notFound();
  }

  /** The comment must exist on a task the caller sees, and be theirs unless they are an admin. */
  async function requireOwnComment(p: Principal, taskId: string, commentId: string) {
    await requireVisibleTask(p, taskId);
    const comment = await getComment(sql, p.tenantId, taskId, commentId);
    if (!comment) throw notFound('comment');
    if (p.role !== 'admin' && (p.userId === null || comment.author?.id !== p.userId)) {
      throw forbidden('only the author of the comment or a tenant admin may do this');
    }
  }

  app.get(
    '/tasks/:id/comments',
    {
      schema: {
        tags,
        summary: "The task's comments, oldest first, in keyset pages",
        params: IdParams,
        querystring: ListCommentsQuery,
        response: { 200: CommentList, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      await requireVisibleTask(p, request.params.id);
      return listComments(sql, p.tenantId, request.params.id, { cursor: request.query.cursor, limit: request.query.limit ?? 50 });
    },
  );

  app.post(
    '/tasks/:id/comments',
    {
      schema: {
        tags,
        summary: 'Comment on a task (any user who may see it; not an API key)',
        params: IdParams,
        body: CommentBody,
        response: { 201: CommentSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const authorId = requireUser(p);
      const taskId = request.params.id;
      await requireVisibleTask(p, taskId);
      const id = randomUUID();
      const { body } = request.body;
      await sql.begin(async (tx) => {
        await insertComment(tx, p.tenantId, taskId, { id, authorId, body });
        await recordTaskEvents(tx, [event(p, taskId, 'task.comment_added', { commentId: id, body })]);
      });
      return reply.status(201).send((await getComment(sql, p.tenantId, taskId, id))!);
    },
  );

  app.patch(
    '/tasks/:id/comments/:commentId',
    {
      schema: {
        tags,
        summary: 'Edit a comment (its author or an admin); sets editedAt',
        params: CommentParams,
        body: CommentBody,
        response: { 200: CommentSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const p = request.principal;
      const { id: taskId, commentId } = request.params;
      const { body } = request.body;
      await requireOwnComment(p, taskId, commentId);
      await sql.begin(async (tx) => {
        if (!(await editComment(tx, p.tenantId, taskId, commentId, body))) throw notFound('comment');
        await recordTaskEvents(tx, [event(p, taskId, 'task.comment_edited', { commentId, body })]);
      });
      return (await getComment(sql, p.tenantId, taskId, commentId))!;
    },
  );

  app.delete(
    '/tasks/:id/comments/:commentId',
    {
      schema: {
        tags,
        summary: 'Delete a comment (its author or an admin)',
        params: CommentParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const { id: taskId, commentId } = request.params;
      await requireOwnComment(p, taskId, commentId);
      await sql.begin(async (tx) => {
        if (!(await deleteComment(tx, p.tenantId, taskId, commentId))) throw notFound('comment');
        await recordTaskEvents(tx, [event(p, taskId, 'task.comment_deleted', { commentId })]);
      });
      return reply.status(204).send(null);
    },
  );
};
