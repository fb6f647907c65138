/**
 * Task templates (seed 001): every user of the tenant reads them, admins
 * write. A template's files are uploaded like attachments and stored once,
 * under the template's blob prefix; each task created from the template gets
 * copies (api/routes/task-from-template.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  type TaskTemplate,
  type TemplateFields,
  deleteTemplate,
  deleteTemplateFile,
  getTemplate,
  getTemplateFile,
  insertTemplate,
  insertTemplateFiles,
  listTemplates,
  templateBlobPrefix,
  updateTemplate,
} from '../../db/repositories/task-templates';
import type { Db } from '../../db/sql';
import { DUE_OFFSET_HELP, type DueOffset, formatDueOffset, parseDueOffset } from '../../domain/due-offset';
import type { AppDeps } from '../app';
import { adminDelete, adminDeleteSchema } from '../crud';
import { badRequest, notFound } from '../errors';
import { requireAdmin } from '../plugins/auth';
import { IdParams, errors } from '../schemas/common';
import {
  CreateTemplateBody,
  ListTemplatesQuery,
  PatchTemplateBody,
  TemplateFileParams,
  TemplateFilesAdded,
  TemplateList,
  TemplateSchema,
} from '../schemas/task-templates';
import { type TaskContext, checkAssignees, resolveContexts } from '../task-input';
import { megabytes, receiveFiles, sendStoredFile } from '../uploads';

type Body = Omit<(typeof PatchTemplateBody)['static'], 'dueOffset'> & { dueOffset?: string | null };

const fileUrl = (templateId: string, id: string) => `/v1/task-templates/${templateId}/files/${id}`;

/** A template as the API shows it: the offset as text, files with their URLs and without blob keys. */
export function templateView(t: TaskTemplate) {
  return {
    ...t,
    dueOffset: t.dueOffset && formatDueOffset(t.dueOffset),
    files: t.files.map(({ blobKey: _key, ...f }) => ({ ...f, url: fileUrl(t.id, f.id) })),
  };
}

function parseOffset(text: string | null | undefined): DueOffset | null | undefined {
  if (text === undefined || text === null) return text;
  const offset = parseDueOffset(text);
  if (!offset) {
    throw badRequest(`dueOffset ${JSON.stringify(text)} is not ${DUE_OFFSET_HELP}`, [
      { path: 'body.dueOffset', message: 'is not a duration like "+2 days"' },
    ]);
  }
  return offset;
}

/** The body's fields, checked as a task's would be (assignees, milestone of the project). */
async function toFields(db: Db, tenantId: string, body: Body, before?: TaskContext): Promise<TemplateFields> {
  const dueOffset = parseOffset(body.dueOffset);
  await checkAssignees(db, tenantId, [body], () => 'body');
  const [withContext] = await resolveContexts(db, tenantId, [body], () => 'body', before);
  return { ...withContext!, dueOffset };
}

export const taskTemplateRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const { sql, blobs } = deps;
  const tags = ['task templates'];

  async function load(tenantId: string, id: string) {
    const template = await getTemplate(sql, tenantId, id);
    if (!template) throw notFound('task template');
    return template;
  }

  app.get(
    '/task-templates',
    {
      schema: {
        tags,
        summary: 'List task templates by name, in keyset pages',
        querystring: ListTemplatesQuery,
        response: { 200: TemplateList, ...errors(400, 401) },
      },
    },
    async (request) => {
      const page = await listTemplates(sql, request.principal.tenantId, { ...request.query, limit: request.query.limit ?? 50 });
      return { ...page, items: page.items.map(templateView) };
    },
  );

  app.post(
    '/task-templates',
    {
      schema: {
        tags,
        summary: 'Create a task template (admin); names are unique in the tenant',
        body: CreateTemplateBody,
        response: { 201: TemplateSchema, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const body = request.body;
      const id = await sql.begin(async (tx) => {
        const fields = await toFields(tx, p.tenantId, body);
        return insertTemplate(tx, p.tenantId, { ...fields, name: body.name, title: body.title }, p.userId);
      });
      return reply.status(201).send(templateView(await load(p.tenantId, id)));
    },
  );

  app.get(
    '/task-templates/:id',
    {
      schema: {
        tags,
        summary: 'One task template with its default assignees and files',
        params: IdParams,
        response: { 200: TemplateSchema, ...errors(400, 401, 404) },
      },
    },
    async (request) => templateView(await load(request.principal.tenantId, request.params.id)),
  );

  app.patch(
    '/task-templates/:id',
    {
      schema: {
        tags,
        summary: 'Edit a task template (admin); assigneeIds, when given, replace the defaults',
        params: IdParams,
        body: PatchTemplateBody,
        response: { 200: TemplateSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const p = request.principal;
      requireAdmin(p);
      const { id } = request.params;
      const before = await load(p.tenantId, id);
      await sql.begin(async (tx) => {
        if (!(await updateTemplate(tx, p.tenantId, id, await toFields(tx, p.tenantId, request.body, before)))) {
          throw notFound('task template');
        }
      });
      return templateView(await load(p.tenantId, id));
    },
  );

  app.delete(
    '/task-templates/:id',
    adminDeleteSchema(tags, 'Delete a task template (admin) and its files; tasks created from it keep their copies'),
    adminDelete('task template', async (tenantId, id) => {
      if (!(await deleteTemplate(sql, tenantId, id))) return false;
      await blobs.deletePrefix(templateBlobPrefix(tenantId, id));
      return true;
    }),
  );

  app.post(
    '/task-templates/:id/files',
    {
      schema: {
        tags,
        summary: `Add files to a template (admin; multipart/form-data, ${megabytes(deps.config.attachmentMaxBytes)} MB per file)`,
        consumes: ['multipart/form-data'],
        params: IdParams,
        response: { 201: TemplateFilesAdded, ...errors(400, 401, 403, 404, 413, 415) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const { id } = request.params;
      await load(p.tenantId, id);
      const keyOf = (fileId: string) => `${templateBlobPrefix(p.tenantId, id)}files/${fileId}`;
      const saved = await receiveFiles(request, blobs, deps.config.attachmentMaxBytes, keyOf, (files) => {
        const rows = files.map(({ key, ...f }) => ({ ...f, blobKey: key, createdBy: p.userId }));
        return sql.begin((tx) => insertTemplateFiles(tx, p.tenantId, id, rows));
      });
      return reply.status(201).send({ files: saved.map(({ blobKey: _key, ...f }) => ({ ...f, url: fileUrl(id, f.id) })) });
    },
  );

  app.get(
    '/task-templates/:id/files/:fileId',
    {
      schema: {
        tags,
        summary: "Download one of a template's files",
        params: TemplateFileParams,
        response: { 200: Type.Any({ description: 'the file, with its content type' }), ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { tenantId } = request.principal;
      const { id, fileId } = request.params;
      await load(tenantId, id);
      return sendStoredFile(reply, blobs, await getTemplateFile(sql, tenantId, id, fileId), 'template file');
    },
  );

  app.delete(
    '/task-templates/:id/files/:fileId',
    {
      schema: {
        tags,
        summary: 'Remove a file from a template (admin); tasks created earlier keep their copies',
        params: TemplateFileParams,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      requireAdmin(p);
      const { id, fileId } = request.params;
      const removed = await deleteTemplateFile(sql, p.tenantId, id, fileId);
      if (!removed) throw notFound('template file');
      await blobs.delete(removed.blobKey);
      return reply.status(204).send(null);
    },
  );
};
