/**
 * Task rows: creation, edits, the Dashboard's list query and the detail view.
 * Every statement is scoped by tenant; engineers additionally see a private
 * task only when they created it or are assigned to it.
 */
import type { Fragment } from 'postgres';
import type { Principal } from '../../domain/principal';
import {
  type CompletionSource,
  type LiveStatus,
  type Priority,
  type Provider,
  type SessionBadge,
  type TaskSource,
  type TaskStatus,
  sessionBadge,
} from '../../domain/task';
import type { Db } from '../sql';
import { customerAndLinkedIds } from './customer-links';
import { InvalidCursorError } from './pages';

export interface NewTask {
  id?: string;
  title: string;
  description?: string;
  /** Where the lifecycle starts: open unless a template says otherwise. */
  status?: LiveStatus;
  priority?: Priority;
  dueAt?: string | null;
  /** A date-only due date; dueAt is then the end of that day in the tenant's zone. */
  dueDate?: string | null;
  source: TaskSource;
  integrationId?: string | null;
  sourceProvider?: Provider | null;
  externalJobId?: string | null;
  private?: boolean;
  tags?: string[];
  customerId?: string | null;
  projectId?: string | null;
  milestoneId?: string | null;
  createdBy?: string | null;
  assigneeIds?: string[];
}

export interface TaskEditable {
  title?: string;
  description?: string;
  priority?: Priority;
  dueAt?: string | null;
  dueDate?: string | null;
  private?: boolean;
  tags?: string[];
  customerId?: string | null;
  projectId?: string | null;
  milestoneId?: string | null;
  assigneeIds?: string[];
}

export interface CreatedTask {
  id: string;
  tenantId: string;
  status: TaskStatus;
  completionSource: CompletionSource | null;
  dueAt: Date | null;
  createdAt: Date;
}

export interface Assignee {
  id: string;
  name: string;
  email: string;
}

export interface TaskRow {
  id: string;
  title: string;
  status: TaskStatus;
  priority: Priority;
  dueAt: Date | null;
  /** Set when the due date has no time: dueAt is then the start of the next day in the tenant's zone. */
  dueDate: string | null;
  overdue: boolean;
  assignees: Assignee[];
  sessionBadge: SessionBadge;
  /** `disconnected` is there for tasks from an integration: true once that integration is disconnected. */
  source: { type: TaskSource; provider: Provider | null; integrationId: string | null; externalJobId: string | null; disconnected?: boolean };
  completionSource: CompletionSource | null;
  completedAt: Date | null;
  private: boolean;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
}

export const TABS = ['all', 'open', 'in_progress', 'waiting', 'completed', 'cancelled', 'archived'] as const;
export type Tab = (typeof TABS)[number];
export type TabCounts = Record<Tab, number>;

export const SORTS = ['created', 'updated', 'due', 'priority'] as const;
export type Sort = (typeof SORTS)[number];

export interface ListQuery {
  tab: Tab;
  q?: string;
  priority?: Priority;
  assignee?: string; // 'unassigned' | 'me' | a user id
  source?: TaskSource;
  tag?: string;
  dueAfter?: string;
  dueBefore?: string;
  overdue?: boolean;
  customerId?: string;
  /** With customerId: also the tasks of the customers linked to it (one hop). */
  related?: boolean;
  projectId?: string;
  milestoneId?: string;
  /** Leaves out completed tasks (the "Show completed" checkbox unticked). */
  hideCompleted?: boolean;
  sort: Sort;
  order?: 'asc' | 'desc';
  cursor?: string;
  limit: number;
}

// The workspace lists share the error (db/repositories/pages.ts); the API maps it to 400.
export { InvalidCursorError };

/** Sort keys: static SQL (never user input) and the casts of their cursor values. */
const SORT_KEYS: Record<Sort, { cols: string; casts: string[]; defaultOrder: 'asc' | 'desc' }> = {
  created: { cols: 't.created_at, t.id', casts: ['timestamptz', 'uuid'], defaultOrder: 'desc' },
  updated: { cols: 't.updated_at, t.id', casts: ['timestamptz', 'uuid'], defaultOrder: 'desc' },
  due: { cols: 't.due_sort, t.id', casts: ['timestamptz', 'uuid'], defaultOrder: 'asc' },
  priority: { cols: 't.priority_rank, t.created_at, t.id', casts: ['smallint', 'timestamptz', 'uuid'], defaultOrder: 'desc' },
};

const LIVE_SQL = `('open', 'in_progress', 'waiting')`;

function and(db: Db, parts: Fragment[]): Fragment {
  return parts.reduce((acc, part) => db`${acc} AND ${part}`);
}

/** The privacy rule: admins and API keys see every task of their tenant. */
export function visibleTo(db: Db, p: Principal, alias = 't'): Fragment {
  if (p.seesAllTasks) return db`true`;
  const t = db.unsafe(alias);
  return db`(NOT ${t}.private OR ${t}.created_by = ${p.userId}
    OR ${t}.id IN (SELECT task_id FROM task_assignees WHERE tenant_id = ${p.tenantId} AND user_id = ${p.userId}))`;
}

function filters(db: Db, p: Principal, q: ListQuery): Fragment[] {
  const parts: Fragment[] = [db`t.tenant_id = ${p.tenantId}`, visibleTo(db, p)];
  if (q.q) parts.push(db`t.search @@ websearch_to_tsquery('english', ${q.q})`);
  if (q.priority) parts.push(db`t.priority = ${q.priority}`);
  if (q.source) parts.push(db`t.source = ${q.source}`);
  if (q.tag) parts.push(db`t.tags @> ${[q.tag]}::text[]`);
  // On due_sort too, so the (tenant_id, due_sort, id) index reads only the range
  // (due_sort is due_at, or infinity without one: the same rows either way).
  if (q.dueAfter) parts.push(db`t.due_at >= ${q.dueAfter} AND t.due_sort >= ${q.dueAfter}`);
  if (q.dueBefore) parts.push(db`t.due_sort < ${q.dueBefore}`);
  if (q.customerId) {
    parts.push(q.related ? db`t.customer_id IN ${customerAndLinkedIds(db, p.tenantId, q.customerId)}` : db`t.customer_id = ${q.customerId}`);
  }
  if (q.projectId) parts.push(db`t.project_id = ${q.projectId}`);
  if (q.milestoneId) parts.push(db`t.milestone_id = ${q.milestoneId}`);
  if (q.hideCompleted) parts.push(db`t.status <> 'completed'`);
  if (q.overdue !== undefined) {
    const overdue = db`(t.due_at < now() AND t.status IN ${db.unsafe(LIVE_SQL)})`;
    parts.push(q.overdue ? overdue : db`NOT coalesce(${overdue}, false)`);
  }
  if (q.assignee === 'unassigned') {
    parts.push(db`NOT EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id)`);
  } else if (q.assignee) {
    const userId = q.assignee === 'me' ? p.userId : q.assignee;
    parts.push(db`t.id IN (SELECT task_id FROM task_assignees WHERE tenant_id = ${p.tenantId} AND user_id = ${userId})`);
  }
  return parts;
}

function tabFilter(db: Db, tab: Tab): Fragment {
  return tab === 'all' ? db`t.status <> 'archived'` : db`t.status = ${tab}`;
}

/** What PostgreSQL prints for each cast: a cursor value that looks otherwise is not one of ours. */
const CURSOR_VALUE: Record<string, (v: string) => boolean> = {
  uuid: (v) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  smallint: (v) => /^-?\d{1,4}$/.test(v),
  timestamptz: (v) => v === 'infinity' || isTimestampText(v),
};

/** `2026-01-31 09:00:00.123456+00`, on a real calendar day from year 1 on. */
function isTimestampText(v: string): boolean {
  const m = /^(\d{4})-(\d\d)-(\d\d) ([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?[+-]\d\d(:[0-5]\d){0,2}$/.exec(v);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return year >= 1 && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function decodeCursor(cursor: string, sort: Sort): string[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const { casts } = SORT_KEYS[sort];
    if (
      Array.isArray(values) &&
      values.length === casts.length &&
      values.every((v, i) => typeof v === 'string' && CURSOR_VALUE[casts[i]!]!(v))
    ) {
      return values as string[];
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError('cursor is not valid for this sort; start again without it');
}

function keysetAfter(db: Db, sort: Sort, order: 'asc' | 'desc', cursor: string): Fragment {
  const { cols, casts } = SORT_KEYS[sort];
  const values = decodeCursor(cursor, sort);
  // Sent as text and cast by the server: a timestamptz parameter would go through a JS Date
  // and lose its microseconds, so rows sharing the millisecond would be skipped or repeated.
  const params = values.map((v, i) => db`${v}::text::${db.unsafe(casts[i]!)}`).reduce((acc, f) => db`${acc}, ${f}`);
  return db`(${db.unsafe(cols)}) ${db.unsafe(order === 'asc' ? '>' : '<')} (${params})`;
}

/** The columns of a list row; the detail view adds to them. */
function rowColumns(db: Db, sort: Sort): Fragment {
  const { cols } = SORT_KEYS[sort];
  const sortKey = cols
    .split(', ')
    .map((c) => `${c}::text`)
    .join(', ');
  return db`
    t.id, t.title, t.status, t.priority, t.due_at, to_char(t.due_date, 'YYYY-MM-DD') AS due_date, t.source, t.source_provider, t.integration_id,
    t.external_job_id, t.completion_source, t.completed_at, t.private, t.tags, t.created_at, t.updated_at,
    coalesce(t.due_at < now() AND t.status IN ${db.unsafe(LIVE_SQL)}, false) AS overdue,
    (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.name, 'email', u.email) ORDER BY u.name), '[]')
       FROM task_assignees a JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id WHERE a.task_id = t.id) AS assignees,
    EXISTS (SELECT 1 FROM sessions s WHERE s.task_id = t.id AND s.status = 'running') AS has_running_session,
    (SELECT i.status = 'disconnected' FROM integrations i WHERE i.tenant_id = t.tenant_id AND i.id = t.integration_id) AS integration_disconnected,
    json_build_array(${db.unsafe(sortKey)}) AS sort_key`;
}

interface RawRow extends Omit<TaskRow, 'sessionBadge' | 'source'> {
  source: TaskSource;
  sourceProvider: Provider | null;
  integrationId: string | null;
  externalJobId: string | null;
  /** Null without an integration. */
  integrationDisconnected: boolean | null;
  hasRunningSession: boolean;
  sortKey: string[];
}

function toTaskRow(r: RawRow): TaskRow {
  return {
    id: r.id,
    title: r.title,
    status: r.status,
    priority: r.priority,
    dueAt: r.dueAt,
    dueDate: r.dueDate,
    overdue: r.overdue,
    assignees: r.assignees,
    sessionBadge: sessionBadge(r.status, r.completionSource, r.hasRunningSession),
    source: {
      type: r.source,
      provider: r.sourceProvider,
      integrationId: r.integrationId,
      externalJobId: r.externalJobId,
      ...(r.integrationDisconnected === null ? {} : { disconnected: r.integrationDisconnected }),
    },
    completionSource: r.completionSource,
    completedAt: r.completedAt,
    private: r.private,
    tags: r.tags,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export async function listTasks(
  db: Db,
  p: Principal,
  q: ListQuery,
): Promise<{ items: TaskRow[]; nextCursor: string | null; counts: TabCounts }> {
  const order = q.order ?? SORT_KEYS[q.sort].defaultOrder;
  const where = filters(db, p, q);
  const pageWhere = [...where, tabFilter(db, q.tab)];
  if (q.cursor) pageWhere.push(keysetAfter(db, q.sort, order, q.cursor));
  const [{ rows, nextCursor }, countRows] = await Promise.all([
    selectPage<RawRow>(db, { sort: q.sort, order, where: pageWhere, limit: q.limit }),
    db<{ status: TaskStatus; n: number }[]>`
      SELECT t.status, count(*)::int AS n FROM tasks t WHERE ${and(db, where)} GROUP BY t.status`,
  ]);
  return { items: rows.map(toTaskRow), nextCursor, counts: countsByTab(countRows) };
}

/**
 * One keyset page: the page's rows are chosen first (ORDER BY … LIMIT on the
 * tenant's index), and only then are their assignees and running sessions
 * looked up, one index probe per row. Written as one query, PostgreSQL may
 * size those lookups for every matching row and scan all tenants' sessions.
 */
async function selectPage<R extends { sortKey: string[] }>(
  db: Db,
  opts: { sort: Sort; order: 'asc' | 'desc'; where: Fragment[]; limit: number; extraColumns?: Fragment },
): Promise<{ rows: R[]; nextCursor: string | null }> {
  const dir = db.unsafe(opts.order === 'asc' ? 'ASC' : 'DESC');
  const orderBy = SORT_KEYS[opts.sort].cols
    .split(', ')
    .map((c) => db`${db.unsafe(c)} ${dir}`)
    .reduce((acc, f) => db`${acc}, ${f}`);
  const rows = await db<R[]>`
    SELECT ${rowColumns(db, opts.sort)}${opts.extraColumns ?? db``} FROM (
      SELECT t.* FROM tasks t WHERE ${and(db, opts.where)} ORDER BY ${orderBy} LIMIT ${opts.limit + 1}
    ) t
    ORDER BY ${orderBy}`;
  const hasMore = rows.length > opts.limit;
  const page = hasMore ? rows.slice(0, opts.limit) : [...rows];
  const last = page[page.length - 1];
  return { rows: page, nextCursor: hasMore && last ? Buffer.from(JSON.stringify(last.sortKey)).toString('base64url') : null };
}

export function countsByTab(rows: { status: TaskStatus; n: number }[]): TabCounts {
  const counts: TabCounts = { all: 0, open: 0, in_progress: 0, waiting: 0, completed: 0, cancelled: 0, archived: 0 };
  for (const { status, n } of rows) {
    counts[status] = n;
    if (status !== 'archived') counts.all += n;
  }
  return counts;
}

/** The engineer's device sync: tasks assigned to them, changed since a time, oldest change first. */
export async function listAssignedTasksSince(
  db: Db,
  p: Principal,
  updatedSince: string | undefined,
  cursor: string | undefined,
  limit: number,
): Promise<{ items: (TaskRow & { description: string })[]; nextCursor: string | null }> {
  const where: Fragment[] = [
    db`t.tenant_id = ${p.tenantId}`,
    db`t.id IN (SELECT task_id FROM task_assignees WHERE tenant_id = ${p.tenantId} AND user_id = ${p.userId})`,
  ];
  if (updatedSince) where.push(db`t.updated_at > ${updatedSince}`);
  if (cursor) where.push(keysetAfter(db, 'updated', 'asc', cursor));
  const { rows, nextCursor } = await selectPage<RawRow & { description: string }>(db, {
    sort: 'updated',
    order: 'asc',
    where,
    limit,
    extraColumns: db`, t.description`,
  });
  return { items: rows.map((r) => ({ ...toTaskRow(r), description: r.description })), nextCursor };
}

export interface TaskDetail extends TaskRow {
  description: string;
  customerId: string | null;
  projectId: string | null;
  milestoneId: string | null;
  createdBy: string | null;
}

/** One task as its viewer may see it, or null (missing, another tenant's, or private to others). */
export async function getTask(db: Db, p: Principal, id: string): Promise<TaskDetail | null> {
  const [r] = await db<(RawRow & Omit<TaskDetail, keyof TaskRow>)[]>`
    SELECT ${rowColumns(db, 'created')}, t.description, t.customer_id, t.project_id, t.milestone_id, t.created_by
    FROM tasks t WHERE t.tenant_id = ${p.tenantId} AND t.id = ${id} AND ${visibleTo(db, p)}`;
  if (!r) return null;
  return {
    ...toTaskRow(r),
    description: r.description,
    customerId: r.customerId,
    projectId: r.projectId,
    milestoneId: r.milestoneId,
    createdBy: r.createdBy,
  };
}

/** Inserts tasks and their assignees: two statements, whatever the count. Run it in a transaction. */
export async function insertTasks(db: Db, tenantId: string, tasks: NewTask[]): Promise<CreatedTask[]> {
  if (tasks.length === 0) return [];
  const rows = tasks.map((t) => ({
    ...(t.id ? { id: t.id } : {}),
    tenantId,
    title: t.title,
    description: t.description ?? '',
    status: t.status ?? 'open',
    priority: t.priority ?? 'medium',
    dueAt: t.dueAt ?? null,
    dueDate: t.dueDate ?? null,
    source: t.source,
    integrationId: t.integrationId ?? null,
    sourceProvider: t.sourceProvider ?? null,
    externalJobId: t.externalJobId ?? null,
    private: t.private ?? false,
    tags: t.tags ?? [],
    customerId: t.customerId ?? null,
    projectId: t.projectId ?? null,
    milestoneId: t.milestoneId ?? null,
    createdBy: t.createdBy ?? null,
  }));
  // With ids given by some rows only, sql(rows) would need the column on all of them.
  const withIds = rows.some((r) => 'id' in r);
  if (withIds && !rows.every((r) => 'id' in r)) throw new Error('insertTasks: give every task an id, or none');
  const created = await db<CreatedTask[]>`
    INSERT INTO tasks ${db(rows as Record<string, unknown>[])}
    RETURNING id, tenant_id, status, completion_source, due_at, created_at`;
  const assignees = created.flatMap((row, i) => [...new Set(tasks[i]!.assigneeIds ?? [])].map((userId) => ({ taskId: row.id, userId })));
  // As two arrays: a batch (1000 tasks × 50 assignees) would pass PostgreSQL's 65535-parameter limit row by row.
  if (assignees.length > 0) {
    await db`
      INSERT INTO task_assignees (tenant_id, task_id, user_id)
      SELECT ${tenantId}, a.task_id, a.user_id
      FROM unnest(${assignees.map((a) => a.taskId)}::uuid[], ${assignees.map((a) => a.userId)}::uuid[]) AS a (task_id, user_id)`;
  }
  return [...created];
}

/** Applies an edit; returns false when no such task. Assignees, when given, are replaced. */
export async function updateTask(db: Db, tenantId: string, id: string, patch: TaskEditable): Promise<boolean> {
  const { assigneeIds, ...fields } = patch;
  const columns = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const [row] = await db<{ id: string }[]>`
    UPDATE tasks SET ${db({ ...columns, updatedAt: db`now()` } as Record<string, unknown>)}
    WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  if (!row) return false;
  if (assigneeIds) {
    await db`DELETE FROM task_assignees WHERE tenant_id = ${tenantId} AND task_id = ${id}`;
    const rows = [...new Set(assigneeIds)].map((userId) => ({ tenantId, taskId: id, userId }));
    if (rows.length > 0) await db`INSERT INTO task_assignees ${db(rows)}`;
  }
  return true;
}

export async function markWorkflowsStarted(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db`UPDATE tasks SET workflow_started_at = now() WHERE id = ANY(${ids}::uuid[]) AND workflow_started_at IS NULL`;
}

/** Rows whose lifecycle workflow was never confirmed started, older than the grace period. */
export async function findTasksWithoutWorkflow(db: Db, graceSeconds: number, limit: number): Promise<CreatedTask[]> {
  return db<CreatedTask[]>`
    SELECT id, tenant_id, status, completion_source, due_at, created_at FROM tasks
    WHERE workflow_started_at IS NULL AND created_at < now() - make_interval(secs => ${graceSeconds})
    ORDER BY created_at LIMIT ${limit}`;
}

/** The ids among `ids` that exist in the tenant. */
export async function existingTaskIds(db: Db, tenantId: string, ids: string[]): Promise<Set<string>> {
  const rows = await db<{ id: string }[]>`SELECT id FROM tasks WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::uuid[])`;
  return new Set(rows.map((r) => r.id));
}

/** What a lifecycle workflow is started from. */
export async function findTaskForWorkflow(db: Db, tenantId: string, id: string): Promise<CreatedTask | null> {
  const [row] = await db<CreatedTask[]>`
    SELECT id, tenant_id, status, completion_source, due_at, created_at FROM tasks WHERE tenant_id = ${tenantId} AND id = ${id}`;
  return row ?? null;
}
