/**
 * POST /v1/tasks/from-template/:templateId: a task exactly as POST /v1/tasks
 * creates it (one transaction for the row, its assignees, its events and
 * attachment rows; then its lifecycle workflow), from a template's defaults
 * and the request's overrides. The template's files are copied under the
 * task's blob prefix inside that transaction, once the body has passed its
 * checks, and removed again if the task is not created.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type BlobStore, taskBlobPrefix } from '../../blob/blob-store';
import { type NewAttachment, insertAttachments } from '../../db/repositories/attachments';
import { recordTaskEvents } from '../../db/repositories/task-events';
import { type TaskTemplate, type TemplateFile, getTemplate } from '../../db/repositories/task-templates';
import type { NewTask } from '../../db/repositories/tasks';
import { nowPlus } from '../../db/repositories/tenants';
import { type Principal, actorOf } from '../../domain/principal';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { requireAdminOrApiKey } from '../plugins/auth';
import { errors } from '../schemas/common';
import { FromTemplateBody, FromTemplateParams } from '../schemas/task-templates';
import { TaskDetail } from '../schemas/tasks';
import { createTask, loadTaskDetail, toNewTask } from './tasks';

type Overrides = (typeof FromTemplateBody)['static'];

/** The template's task with the overrides applied; project and milestone are overridden together. */
function taskBody(t: TaskTemplate, o: Overrides) {
  const { status: _status, ...fields } = o;
  const context = o.projectId !== undefined || o.milestoneId !== undefined ? {} : { projectId: t.projectId, milestoneId: t.milestoneId };
  return {
    title: t.title,
    description: t.description,
    priority: t.priority,
    private: t.private,
    tags: t.tags,
    assigneeIds: t.assignees.map((a) => a.id),
    customerId: t.customerId,
    ...context,
    ...fields,
  };
}

/** Copies the files under the new task's prefix; the caller removes the prefix if the task is not created. */
async function copyFiles(blobs: BlobStore, files: TemplateFile[], p: Principal, taskId: string): Promise<NewAttachment[]> {
  const copies: NewAttachment[] = [];
  for (const file of files) {
    const source = await blobs.get(file.blobKey);
    if (!source) throw new Error(`template file ${file.id} has no stored bytes (${file.blobKey})`);
    const id = randomUUID();
    const stored = await blobs.put(`${taskBlobPrefix(p.tenantId, taskId)}attachments/${id}`, source);
    const { filename, contentType } = file;
    copies.push({ id, filename, contentType, sizeBytes: stored.sizeBytes, sha256: stored.sha256, blobKey: stored.key, createdBy: p.userId });
  }
  return copies;
}

export const taskFromTemplateRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql, blobs } = deps;

  app.post(
    '/tasks/from-template/:templateId',
    {
      schema: {
        tags: ['tasks', 'task templates'],
        summary: "Create a task from a template (admin or API key), as POST /v1/tasks would, with the template's files",
        description:
          'Every field of POST /v1/tasks, and status, may be given to replace the template\'s. The due date is now plus the ' +
          "template's due offset in the tenant's time zone, unless dueAt or dueDate is given. projectId and milestoneId " +
          "replace the template's project and milestone together.",
        params: FromTemplateParams,
        body: FromTemplateBody,
        response: { 201: TaskDetail, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdminOrApiKey(p);
      const template = await getTemplate(sql, p.tenantId, request.params.templateId);
      if (!template) throw notFound('task template');
      const overrides = request.body ?? {};
      const body = taskBody(template, overrides);
      const status = overrides.status ?? template.status;
      const offset = overrides.dueAt === undefined && overrides.dueDate === undefined ? template.dueOffset : null;
      const taskId = randomUUID();
      try {
        const task = await createTask(
          deps,
          p,
          async (tx): Promise<NewTask> => ({
            ...toNewTask(body, p),
            id: taskId,
            status,
            // In the creating transaction: now() is the task's created_at.
            ...(offset ? { dueAt: (await nowPlus(tx, p.tenantId, offset)).toISOString() } : {}),
          }),
          {
            eventData: { ...body, status, templateId: template.id },
            log: request.log,
            // Once the body has passed its checks: bad input copies nothing. The copies are
            // made before the commit, so the task appears with its files or not at all.
            alsoWrite: async (tx, created) => {
              if (template.files.length === 0) return;
              const attachments = await copyFiles(blobs, template.files, p, created.id);
              await insertAttachments(tx, p.tenantId, created.id, attachments);
              const data = { ids: attachments.map((a) => a.id), templateId: template.id };
              await recordTaskEvents(tx, [{ tenantId: p.tenantId, taskId: created.id, type: 'task.attachments_added', actor: actorOf(p), data }]);
            },
          },
        );
        return reply.status(201).send(await loadTaskDetail(sql, p, task.id));
      } catch (err) {
        // The task id is new: everything under its prefix is this request's copies.
        await blobs.deletePrefix(taskBlobPrefix(p.tenantId, taskId));
        throw err;
      }
    },
  );
};
