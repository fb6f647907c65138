/**
 * Task attachments: several files per upload, any type, each at most
 * ATTACHMENT_MAX_BYTES (10 MB). An upload is all or nothing: if any file is
 * too large or the stream breaks, the files already stored are removed and no
 * row is written.
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type StoredBlob, taskBlobPrefix } from '../../blob/blob-store';
import { type NewAttachment, getAttachment, insertAttachments } from '../../db/repositories/attachments';
import { recordTaskEvents } from '../../db/repositories/task-events';
import { getTask } from '../../db/repositories/tasks';
import { actorOf } from '../../domain/principal';
import type { AppDeps } from '../app';
import { HttpError, badRequest, notFound } from '../errors';
import { requireAdminOrApiKey } from '../plugins/auth';
import { Uuid, errors } from '../schemas/common';
import { AttachmentSchema } from '../schemas/tasks';
import { attachmentUrl } from './tasks';

export const attachmentRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql, blobs } = deps;
  const maxMb = Math.round((deps.config.attachmentMaxBytes / 1024 / 1024) * 10) / 10;

  app.post(
    '/tasks/:id/attachments',
    {
      schema: {
        tags: ['attachments'],
        summary: `Upload attachments (multipart/form-data, field name any, ${maxMb} MB per file)`,
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
      if (!request.isMultipart()) throw new HttpError(415, 'unsupported_media_type', 'send the files as multipart/form-data');

      const stored: (StoredBlob & { id: string; filename: string; contentType: string })[] = [];
      try {
        for await (const part of request.files()) {
          const id = randomUUID();
          const key = `${taskBlobPrefix(p.tenantId, taskId)}attachments/${id}`;
          const blob = await blobs.put(key, part.file);
          stored.push({ ...blob, id, filename: part.filename || 'file', contentType: part.mimetype || 'application/octet-stream' });
          if (part.file.truncated) throw tooLarge(part.filename, maxMb);
        }
        if (stored.length === 0) throw badRequest('no file in the upload');
        const rows: NewAttachment[] = stored.map((b) => ({
          id: b.id,
          filename: b.filename,
          contentType: b.contentType,
          sizeBytes: b.sizeBytes,
          sha256: b.sha256,
          blobKey: b.key,
          createdBy: p.userId,
        }));
        const saved = await sql.begin(async (tx) => {
          const inserted = await insertAttachments(tx, p.tenantId, taskId, rows);
          await recordTaskEvents(tx, [
            { tenantId: p.tenantId, taskId, type: 'task.attachments_added', actor: actorOf(p), data: { ids: rows.map((r) => r.id) } },
          ]);
          await tx`UPDATE tasks SET updated_at = now() WHERE tenant_id = ${p.tenantId} AND id = ${taskId}`;
          return inserted;
        });
        return reply.status(201).send({ attachments: saved.map((a) => ({ ...a, url: attachmentUrl(taskId, a.id) })) });
      } catch (err) {
        await Promise.all(stored.map((b) => blobs.delete(b.key)));
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(undefined, maxMb);
        throw err;
      }
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
      const attachment = await getAttachment(sql, p.tenantId, id, attachmentId);
      const body = attachment && (await blobs.get(attachment.blobKey));
      if (!attachment || !body) throw notFound('attachment');
      return reply
        .header('content-type', attachment.contentType)
        .header('content-length', attachment.sizeBytes)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(attachment.filename)}`)
        .send(body);
    },
  );
};

function tooLarge(filename: string | undefined, maxMb: number): HttpError {
  return new HttpError(
    413,
    'file_too_large',
    `${filename ? `"${filename}" is` : 'a file is'} larger than ${maxMb} MB; nothing was stored`,
  );
}
