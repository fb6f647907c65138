/**
 * Task attachments: several files per upload, any type, each at most
 * ATTACHMENT_MAX_BYTES (10 MB). An upload is all or nothing: if any file is
 * too large or the stream breaks, the files already stored are removed and no
 * row is written (api/uploads.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { taskBlobPrefix } from '../../blob/blob-store';
import { type NewAttachment, getAttachment, insertAttachments } from '../../db/repositories/attachments';
import { recordTaskEvents } from '../../db/repositories/task-events';
import { getTask } from '../../db/repositories/tasks';
import { actorOf } from '../../domain/principal';
import type { AppDeps } from '../app';
import { notFound } from '../errors';
import { requireAdminOrApiKey } from '../plugins/auth';
import { Uuid, errors } from '../schemas/common';
import { AttachmentSchema } from '../schemas/tasks';
import { megabytes, receiveFiles, sendStoredFile } from '../uploads';
import { attachmentUrl } from './tasks';

export const attachmentRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql, blobs } = deps;

  app.post(
    '/tasks/:id/attachments',
    {
      schema: {
        tags: ['attachments'],
        summary: `Upload attachments (multipart/form-data, field name any, ${megabytes(deps.config.attachmentMaxBytes)} MB per file)`,
        consumes: ['multipart/form-data'],
        params: Type.Object({ id: Uuid }),
        response: { 201: Type.Object({ attachments: Type.Array(Type.Ref(AttachmentSchema)) }), ...errors(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdminOrApiKey(p);
      const taskId = request.params.id;
      if (!(await getTask(sql, p, taskId))) throw notFound();
      const keyOf = (id: string) => `${taskBlobPrefix(p.tenantId, taskId)}attachments/${id}`;
      const saved = await receiveFiles(request, blobs, deps.config.attachmentMaxBytes, keyOf, (files) => {
        const rows: NewAttachment[] = files.map((b) => ({
          id: b.id,
          filename: b.filename,
          contentType: b.contentType,
          sizeBytes: b.sizeBytes,
          sha256: b.sha256,
          blobKey: b.key,
          createdBy: p.userId,
        }));
        return sql.begin(async (tx) => {
          const inserted = await insertAttachments(tx, p.tenantId, taskId, rows);
          await recordTaskEvents(tx, [
            { tenantId: p.tenantId, taskId, type: 'task.attachments_added', actor: actorOf(p), data: { ids: rows.map((r) => r.id) } },
          ]);
          await tx`UPDATE tasks SET updated_at = now() WHERE tenant_id = ${p.tenantId} AND id = ${taskId}`;
          return inserted;
        });
      });
      return reply.status(201).send({ attachments: saved.map((a) => ({ ...a, url: attachmentUrl(taskId, a.id) })) });
    },
  );

  app.get(
    '/tasks/:id/attachments/:attachmentId',
    {
      schema: {
        tags: ['attachments'],
        summary: 'Download an attachment',
        params: Type.Object({ id: Uuid, attachmentId: Uuid }),
        response: { 200: Type.Any({ description: 'the file, with its content type' }), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      const { id, attachmentId } = request.params;
      if (!(await getTask(sql, p, id))) throw notFound();
      return sendStoredFile(reply, blobs, await getAttachment(sql, p.tenantId, id, attachmentId), 'attachment');
    },
  );
};
