/**
 * Task templates: what a task created from one starts with (status, due
 * offset, assignees, tags, context, files). The files' bytes are stored once
 * under the template's blob prefix and copied for each task.
 */
import type { DueOffset } from '../../domain/due-offset';
import type { LiveStatus, Priority } from '../../domain/task';
import type { Db } from '../sql';
import { definedOnly } from './customers';
import { type KeysetOrder, type Page, afterCursor, containsText, cursorColumn, toPage } from './pages';

export interface TemplateFile {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  blobKey: string;
  createdAt: Date;
}

export interface TaskTemplate {
  id: string;
  name: string;
  title: string;
  description: string;
  status: LiveStatus;
  dueOffset: DueOffset | null;
  priority: Priority;
  private: boolean;
  tags: string[];
  assignees: { id: string; name: string; email: string }[];
  customerId: string | null;
  projectId: string | null;
  milestoneId: string | null;
  files: TemplateFile[];
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface TemplateFields {
  name?: string;
  title?: string;
  description?: string;
  status?: LiveStatus;
  dueOffset?: DueOffset | null;
  priority?: Priority;
  private?: boolean;
  tags?: string[];
  customerId?: string | null;
  projectId?: string | null;
  milestoneId?: string | null;
  assigneeIds?: string[];
}

export type NewTemplateFile = Omit<TemplateFile, 'createdAt'> & { createdBy: string | null };

export const templateBlobPrefix = (tenantId: string, templateId: string): string => `tenants/${tenantId}/task-templates/${templateId}/`;

const BY_NAME: KeysetOrder = { column: 'name', cast: 'text' };
const FILE_COLUMNS = 'id, filename, content_type, size_bytes::int, sha256, blob_key, created_at';

const columns = (db: Db) => db`
  tt.id, tt.name, tt.title, tt.description, tt.status, tt.priority, tt.private, tt.tags,
  tt.customer_id, tt.project_id, tt.milestone_id, tt.created_by, tt.created_at, tt.updated_at,
  CASE WHEN tt.due_offset IS NULL THEN NULL ELSE json_build_object(
    'months', (extract(year FROM tt.due_offset) * 12 + extract(month FROM tt.due_offset))::int,
    'days', extract(day FROM tt.due_offset)::int,
    'hours', extract(hour FROM tt.due_offset)::int,
    'minutes', extract(minute FROM tt.due_offset)::int) END AS due_offset,
  (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email) ORDER BY u.name, u.id), '[]')
     FROM task_template_assignees a JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id
     WHERE a.tenant_id = tt.tenant_id AND a.template_id = tt.id) AS assignees,
  (SELECT coalesce(json_agg(json_build_object(
       'id', f.id, 'filename', f.filename, 'contentType', f.content_type, 'sizeBytes', f.size_bytes,
       'sha256', f.sha256, 'blobKey', f.blob_key, 'createdAt', f.created_at) ORDER BY f.created_at, f.filename, f.id), '[]')
     FROM task_template_files f WHERE f.tenant_id = tt.tenant_id AND f.template_id = tt.id) AS files`;

/** JSON built in SQL carries timestamps as text. */
function withDates(t: TaskTemplate): TaskTemplate {
  return { ...t, files: t.files.map((f) => ({ ...f, createdAt: new Date(f.createdAt) })) };
}

const interval = (db: Db, o: DueOffset | null) =>
  o === null ? null : db`make_interval(months => ${o.months}, days => ${o.days}, hours => ${o.hours}, mins => ${o.minutes})`;

export async function listTemplates(db: Db, tenantId: string, q: { q?: string; cursor?: string; limit: number }): Promise<Page<TaskTemplate>> {
  const rows = await db<(TaskTemplate & { pageKey: string[] })[]>`
    SELECT ${columns(db)}, ${cursorColumn(db, BY_NAME, 'tt')} FROM task_templates tt
    WHERE tt.tenant_id = ${tenantId} AND ${containsText(db, 'tt.name', q.q)} AND ${afterCursor(db, BY_NAME, 'tt', q.cursor)}
    ORDER BY tt.name, tt.id LIMIT ${q.limit + 1}`;
  const page = toPage(rows, q.limit);
  return { ...page, items: page.items.map(withDates) };
}

export async function getTemplate(db: Db, tenantId: string, id: string): Promise<TaskTemplate | null> {
  const [row] = await db<TaskTemplate[]>`SELECT ${columns(db)} FROM task_templates tt WHERE tt.tenant_id = ${tenantId} AND tt.id = ${id}`;
  return row ? withDates(row) : null;
}

/** Inserts a template with its assignees. Run it in a transaction. */
export async function insertTemplate(
  db: Db,
  tenantId: string,
  fields: TemplateFields & { name: string; title: string },
  createdBy: string | null,
): Promise<string> {
  const { assigneeIds, dueOffset, ...rest } = fields;
  const row = { ...definedOnly(rest), tenantId, createdBy, dueOffset: interval(db, dueOffset ?? null) };
  const [inserted] = await db<{ id: string }[]>`INSERT INTO task_templates ${db(row as Record<string, unknown>)} RETURNING id`;
  await setAssignees(db, tenantId, inserted!.id, assigneeIds ?? []);
  return inserted!.id;
}

/** Applies an edit; assignees, when given, are replaced. False when no such template. Run it in a transaction. */
export async function updateTemplate(db: Db, tenantId: string, id: string, patch: TemplateFields): Promise<boolean> {
  const { assigneeIds, dueOffset, ...rest } = patch;
  const set = { ...definedOnly(rest), ...(dueOffset === undefined ? {} : { dueOffset: interval(db, dueOffset) }), updatedAt: db`now()` };
  const rows = await db`
    UPDATE task_templates SET ${db(set as Record<string, unknown>)} WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  if (rows.length === 0) return false;
  if (assigneeIds) {
    await db`DELETE FROM task_template_assignees WHERE tenant_id = ${tenantId} AND template_id = ${id}`;
    await setAssignees(db, tenantId, id, assigneeIds);
  }
  return true;
}

async function setAssignees(db: Db, tenantId: string, templateId: string, userIds: string[]): Promise<void> {
  const rows = [...new Set(userIds)].map((userId) => ({ tenantId, templateId, userId }));
  if (rows.length > 0) await db`INSERT INTO task_template_assignees ${db(rows)}`;
}

/** Deletes the template with its assignees and file rows (the caller removes the blobs). */
export async function deleteTemplate(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM task_templates WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}

/** Adds the files' rows and marks the template updated. Run it in a transaction. */
export async function insertTemplateFiles(db: Db, tenantId: string, templateId: string, files: NewTemplateFile[]): Promise<TemplateFile[]> {
  if (files.length === 0) return [];
  const rows = await db<TemplateFile[]>`
    INSERT INTO task_template_files ${db(files.map((r) => ({ ...r, tenantId, templateId })))}
    RETURNING ${db.unsafe(FILE_COLUMNS)}`;
  await db`UPDATE task_templates SET updated_at = now() WHERE tenant_id = ${tenantId} AND id = ${templateId}`;
  return [...rows];
}

export async function getTemplateFile(db: Db, tenantId: string, templateId: string, id: string): Promise<TemplateFile | null> {
  const [row] = await db<TemplateFile[]>`
    SELECT ${db.unsafe(FILE_COLUMNS)} FROM task_template_files
    WHERE tenant_id = ${tenantId} AND template_id = ${templateId} AND id = ${id}`;
  return row ?? null;
}

export async function deleteTemplateFile(db: Db, tenantId: string, templateId: string, id: string): Promise<TemplateFile | null> {
  const [row] = await db<TemplateFile[]>`
    DELETE FROM task_template_files WHERE tenant_id = ${tenantId} AND template_id = ${templateId} AND id = ${id}
    RETURNING ${db.unsafe(FILE_COLUMNS)}`;
  return row ?? null;
}
