/**
 * FSM jobs as tasks: a page of jobs upserted by (tenant, integration,
 * external job id) in a handful of multi-row statements, whatever the page
 * size. Run importJobs in the transaction that also saves the sync cursor.
 *
 * Why not one INSERT … ON CONFLICT DO UPDATE: each field may be overwritten
 * only while the task still holds what the last import wrote there
 * (domain/import-plan.ts), and a status change in the FSM must become a
 * command to the task's workflow, never a write here (the workflow is the
 * single writer of lifecycle state). Both need the row as it was, which
 * RETURNING cannot give (PostgreSQL before 18). So the page's rows are read
 * and locked in one SELECT, planned in TypeScript, and written back with one
 * INSERT for new tasks and one UPDATE for changed ones.
 */
import { type CurrentTask, type FsmStatus, type ImportDecision, type ImportEffect, type ImportedState, planImport } from '../../domain/import-plan';
import type { SyncCounts } from '../../domain/integration-sync';
import { type Actor, LIVE_STATUSES, type Provider } from '../../domain/task';
import type { Db } from '../sql';
import { type NewTaskEvent, recordTaskEvents } from './task-events';
import type { CreatedTask } from './tasks';

/** What a connector's FsmJob carries that the import uses. */
export interface ImportJob {
  externalId: string;
  title: string;
  description: string;
  customer: { externalId: string; name: string } | null;
  scheduledAt: string | null;
  assigneeEmails: string[];
  status: FsmStatus;
  deleted: boolean;
  updatedAt: string;
}

export interface ImportContext {
  tenantId: string;
  integrationId: string;
  provider: Provider;
}

export interface ImportPageResult {
  counts: Omit<SyncCounts, 'pages'>;
  /** New task rows: their lifecycle workflows are started after the commit. */
  created: CreatedTask[];
  /** Tasks whose due date the import moved: their overdue timers re-arm. */
  dueChanged: { taskId: string; dueAt: string | null }[];
}

const TITLE_MAX = 500;
const CUSTOMER_NAME_MAX = 300;
const EXTERNAL_ID_MAX = 200;

const iso = (value: string | null): string | null => (value === null ? null : new Date(value).toISOString());
const integrationActor = (integrationId: string): Actor => ({ kind: 'integration', id: integrationId });

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The newest version of each job: a listing can return a job twice (page boundaries shift under it). */
function newestPerJob(jobs: ImportJob[]): ImportJob[] {
  const byId = new Map<string, ImportJob>();
  for (const job of jobs) {
    const seen = byId.get(job.externalId);
    if (!seen || Date.parse(job.updatedAt) >= Date.parse(seen.updatedAt)) byId.set(job.externalId, job);
  }
  return [...byId.values()];
}

/** Customers by their FSM reference: created on first sight (one statement), linked after. */
async function customerIds(db: Db, ctx: ImportContext, jobs: ImportJob[]): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  for (const job of jobs) {
    const c = job.customer;
    if (c && c.externalId && c.externalId.length <= EXTERNAL_ID_MAX) refs.set(c.externalId, clip(c.name.trim() || `Customer ${c.externalId}`, CUSTOMER_NAME_MAX));
  }
  if (refs.size === 0) return new Map();
  // Names are set when the customer is created and then left to the tenant, like the task fields they edit.
  const rows = await db<{ id: string; externalId: string }[]>`
    WITH input AS (
      SELECT * FROM unnest(${[...refs.keys()]}::text[], ${[...refs.values()]}::text[]) AS i (external_id, name)
    ), inserted AS (
      INSERT INTO customers (tenant_id, integration_id, external_id, name)
      SELECT ${ctx.tenantId}, ${ctx.integrationId}, external_id, name FROM input
      ON CONFLICT (tenant_id, integration_id, external_id) WHERE integration_id IS NOT NULL DO NOTHING
      RETURNING id, external_id
    )
    SELECT id, external_id FROM inserted
    UNION ALL
    SELECT c.id, c.external_id FROM customers c JOIN input i ON i.external_id = c.external_id
    WHERE c.tenant_id = ${ctx.tenantId} AND c.integration_id = ${ctx.integrationId}`;
  return new Map(rows.map((r) => [r.externalId, r.id]));
}

/** The tenant's users by lower-cased email. */
async function userIds(db: Db, tenantId: string, jobs: ImportJob[]): Promise<Map<string, string>> {
  const emails = [...new Set(jobs.flatMap((j) => j.assigneeEmails.map((e) => e.trim().toLowerCase())))];
  if (emails.length === 0) return new Map();
  const rows = await db<{ id: string; email: string }[]>`
    SELECT id, lower(email) AS email FROM users WHERE tenant_id = ${tenantId} AND lower(email) = ANY(${emails}::text[])`;
  return new Map(rows.map((r) => [r.email, r.id]));
}

/** The page's existing tasks, locked until the transaction ends. */
async function currentTasks(db: Db, ctx: ImportContext, externalIds: string[]): Promise<Map<string, CurrentTask>> {
  const rows = await db<(Omit<CurrentTask, 'dueAt'> & { externalJobId: string; dueAt: Date | null })[]>`
    SELECT t.id, t.external_job_id, t.status, t.completion_source, t.title, t.description, t.due_at, t.customer_id, t.imported, t.import_effect,
           coalesce((SELECT array_agg(a.user_id::text ORDER BY a.user_id::text) FROM task_assignees a WHERE a.task_id = t.id), '{}') AS assignee_ids
    FROM tasks t
    WHERE t.tenant_id = ${ctx.tenantId} AND t.integration_id = ${ctx.integrationId} AND t.external_job_id = ANY(${externalIds}::text[])
    FOR UPDATE OF t`;
  return new Map(rows.map(({ externalJobId, dueAt, ...t }) => [externalJobId, { ...t, dueAt: dueAt ? dueAt.toISOString() : null }]));
}

function stateOf(job: ImportJob, customers: Map<string, string>, users: Map<string, string>): ImportedState {
  const assignees = job.assigneeEmails.map((e) => users.get(e.trim().toLowerCase())).filter((id): id is string => id !== undefined);
  return {
    title: clip(job.title.trim() || `Job ${job.externalId}`, TITLE_MAX),
    description: job.description,
    dueAt: iso(job.scheduledAt),
    customerId: job.customer ? (customers.get(job.customer.externalId) ?? null) : null,
    assigneeIds: [...new Set(assignees)].sort(),
    status: job.status,
    deleted: job.deleted,
    updatedAt: iso(job.updatedAt)!,
  };
}

type Create = Extract<ImportDecision, { kind: 'create' }>;
type Update = Extract<ImportDecision, { kind: 'update' }>;

async function insertTasks(db: Db, ctx: ImportContext, creates: Create[]): Promise<(CreatedTask & { externalJobId: string })[]> {
  if (creates.length === 0) return [];
  // Arrays through unnest: a page of 5,000 jobs would pass PostgreSQL's 65,535-parameter limit row by row.
  // Each goes as text[] and is cast by the server: postgres.js types an array by its first element, which may be null.
  return db<(CreatedTask & { externalJobId: string })[]>`
    INSERT INTO tasks (tenant_id, source, integration_id, source_provider, external_job_id, title, description, due_at, customer_id,
                       status, completion_source, completed_at, imported)
    SELECT ${ctx.tenantId}, 'integration', ${ctx.integrationId}, ${ctx.provider}, i.external_job_id, i.title, i.description, i.due_at,
           i.customer_id, i.status,
           CASE WHEN i.status = 'completed' THEN 'integration' END, CASE WHEN i.status = 'completed' THEN now() END, i.imported
    FROM unnest(
      ${creates.map((c) => c.externalJobId)}::text[], ${creates.map((c) => c.state.title)}::text[],
      ${creates.map((c) => c.state.description)}::text[], ${creates.map((c) => c.state.dueAt)}::text[]::timestamptz[],
      ${creates.map((c) => c.state.customerId)}::text[]::uuid[], ${creates.map((c) => c.status)}::text[],
      ${creates.map((c) => JSON.stringify(c.state))}::text[]::jsonb[]
    ) AS i (external_job_id, title, description, due_at, customer_id, status, imported)
    ON CONFLICT (tenant_id, integration_id, external_job_id) WHERE external_job_id IS NOT NULL DO NOTHING
    RETURNING id, tenant_id, status, completion_source, due_at, created_at, external_job_id`;
}

async function updateTasks(db: Db, ctx: ImportContext, updates: Update[]): Promise<void> {
  if (updates.length === 0) return;
  await db`
    UPDATE tasks t SET
      title = u.title, description = u.description, due_at = u.due_at, customer_id = u.customer_id,
      -- A due date the import moved is a time again, no longer a date-only one.
      due_date = CASE WHEN u.due_changed THEN NULL ELSE t.due_date END,
      imported = u.imported,
      import_effect = coalesce(u.effect, t.import_effect),
      updated_at = CASE WHEN u.changed THEN now() ELSE t.updated_at END
    FROM unnest(
      ${updates.map((u) => u.taskId)}::text[]::uuid[], ${updates.map((u) => u.values.title)}::text[],
      ${updates.map((u) => u.values.description)}::text[], ${updates.map((u) => u.values.dueAt)}::text[]::timestamptz[],
      ${updates.map((u) => String(u.changed.includes('dueAt')))}::text[]::boolean[], ${updates.map((u) => u.values.customerId)}::text[]::uuid[],
      ${updates.map((u) => JSON.stringify(u.state))}::text[]::jsonb[], ${updates.map((u) => u.effect)}::text[],
      ${updates.map((u) => String(u.changed.length > 0))}::text[]::boolean[]
    ) AS u (id, title, description, due_at, due_changed, customer_id, imported, effect, changed)
    WHERE t.tenant_id = ${ctx.tenantId} AND t.id = u.id`;
}

async function writeAssignees(db: Db, tenantId: string, replace: string[], pairs: { taskId: string; userId: string }[]): Promise<void> {
  if (replace.length > 0) await db`DELETE FROM task_assignees WHERE tenant_id = ${tenantId} AND task_id = ANY(${replace}::uuid[])`;
  if (pairs.length === 0) return;
  await db`
    INSERT INTO task_assignees (tenant_id, task_id, user_id)
    SELECT ${tenantId}, a.task_id, a.user_id
    FROM unnest(${pairs.map((p) => p.taskId)}::uuid[], ${pairs.map((p) => p.userId)}::uuid[]) AS a (task_id, user_id)
    ON CONFLICT DO NOTHING`;
}

/** Upserts a page of jobs as tasks. Run it in a transaction: it locks the page's task rows. */
export async function importJobs(db: Db, ctx: ImportContext, jobs: ImportJob[]): Promise<ImportPageResult> {
  const latest = newestPerJob(jobs);
  const counts = { jobsSeen: jobs.length, created: 0, updated: 0, unchanged: 0, completed: 0, cancelled: 0, reopened: 0 };
  if (latest.length === 0) return { counts, created: [], dueChanged: [] };
  const customers = await customerIds(db, ctx, latest);
  const users = await userIds(db, ctx.tenantId, latest);
  const current = await currentTasks(db, ctx, latest.map((j) => j.externalId));

  const decisions = latest.map((job) => planImport(current.get(job.externalId), job.externalId, stateOf(job, customers, users)));
  const creates = decisions.filter((d): d is Create => d.kind === 'create');
  const updates = decisions.filter((d): d is Update => d.kind === 'update');

  const created = await insertTasks(db, ctx, creates);
  await updateTasks(db, ctx, updates);
  const stateByJob = new Map(creates.map((c) => [c.externalJobId, c.state]));
  const reassigned = updates.filter((u) => u.changed.includes('assigneeIds'));
  await writeAssignees(db, ctx.tenantId, reassigned.map((u) => u.taskId), [
    ...created.flatMap((t) => (stateByJob.get(t.externalJobId)?.assigneeIds ?? []).map((userId) => ({ taskId: t.id, userId }))),
    ...reassigned.flatMap((u) => u.values.assigneeIds.map((userId) => ({ taskId: u.taskId, userId }))),
  ]);

  const actor = integrationActor(ctx.integrationId);
  const events: NewTaskEvent[] = [
    ...created.map((t) => ({ tenantId: ctx.tenantId, taskId: t.id, type: 'task.created', actor, data: { source: 'integration', provider: ctx.provider, externalJobId: t.externalJobId } })),
    ...updates
      .filter((u) => u.changed.length > 0)
      .map((u) => ({ tenantId: ctx.tenantId, taskId: u.taskId, type: 'task.updated', actor, data: { fields: u.changed, externalUpdatedAt: u.state.updatedAt } })),
  ];
  // recordTaskEvents sends a parameter per column and row: chunks keep it under PostgreSQL's limit.
  for (let i = 0; i < events.length; i += 5000) await recordTaskEvents(db, events.slice(i, i + 5000));

  counts.created = created.length;
  counts.updated = updates.length;
  counts.unchanged = decisions.filter((d) => d.kind === 'skip' && d.reason === 'unchanged').length;
  counts.completed = updates.filter((u) => u.effect === 'complete').length;
  counts.cancelled = updates.filter((u) => u.effect === 'cancel').length;
  counts.reopened = updates.filter((u) => u.effect === 'reopen').length;
  return {
    counts,
    created: created.map(({ externalJobId: _, ...task }) => task),
    dueChanged: updates.filter((u) => u.changed.includes('dueAt')).map((u) => ({ taskId: u.taskId, dueAt: u.values.dueAt })),
  };
}

// ---- Commands owed to the tasks' workflows ---------------------------------------------

export interface PendingEffect {
  taskId: string;
  externalJobId: string;
  effect: ImportEffect;
  /** The job version that caused it: with the job id, the command's idempotency key. */
  jobUpdatedAt: string;
}

export async function pendingImportEffects(db: Db, tenantId: string, integrationId: string, limit: number): Promise<PendingEffect[]> {
  return db<PendingEffect[]>`
    SELECT id AS task_id, external_job_id, import_effect AS effect, coalesce(imported->>'updatedAt', '') AS job_updated_at
    FROM tasks WHERE tenant_id = ${tenantId} AND integration_id = ${integrationId} AND import_effect IS NOT NULL
    LIMIT ${limit}`;
}

/** Clears delivered commands; one the import has replaced since stays. */
export async function clearImportEffects(db: Db, tenantId: string, delivered: PendingEffect[]): Promise<void> {
  if (delivered.length === 0) return;
  await db`
    UPDATE tasks t SET import_effect = NULL
    FROM unnest(${delivered.map((d) => d.taskId)}::uuid[], ${delivered.map((d) => d.effect)}::text[]) AS d (id, effect)
    WHERE t.tenant_id = ${tenantId} AND t.id = d.id AND t.import_effect = d.effect`;
}

/** The integration's task rows whose lifecycle workflow was never confirmed started. */
export async function importedTasksWithoutWorkflow(db: Db, tenantId: string, integrationId: string, limit: number): Promise<CreatedTask[]> {
  return db<CreatedTask[]>`
    SELECT id, tenant_id, status, completion_source, due_at, created_at FROM tasks
    WHERE workflow_started_at IS NULL AND tenant_id = ${tenantId} AND integration_id = ${integrationId}
    ORDER BY created_at LIMIT ${limit}`;
}

// ---- Full listings: finding jobs deleted in the FSM ----------------------------------------

export async function markListed(db: Db, ctx: ImportContext, listingId: string, externalIds: string[]): Promise<void> {
  if (externalIds.length === 0) return;
  await db`
    INSERT INTO integration_listing_jobs (tenant_id, integration_id, listing_id, external_job_id)
    SELECT ${ctx.tenantId}, ${ctx.integrationId}, ${listingId}, e FROM unnest(${externalIds}::text[]) AS e
    ON CONFLICT DO NOTHING`;
}

/** Live tasks of the integration whose job the listing has not returned (yet). */
export async function unlistedLiveTasks(db: Db, ctx: ImportContext, listingId: string, limit: number): Promise<{ taskId: string; externalJobId: string }[]> {
  return db<{ taskId: string; externalJobId: string }[]>`
    SELECT t.id AS task_id, t.external_job_id FROM tasks t
    WHERE t.tenant_id = ${ctx.tenantId} AND t.integration_id = ${ctx.integrationId} AND t.external_job_id IS NOT NULL
      AND t.status = ANY(${[...LIVE_STATUSES]}::text[])
      AND NOT EXISTS (
        SELECT 1 FROM integration_listing_jobs l
        WHERE l.tenant_id = t.tenant_id AND l.integration_id = t.integration_id AND l.listing_id = ${listingId}
          AND l.external_job_id = t.external_job_id)
    ORDER BY t.external_job_id LIMIT ${limit}`;
}

/** The FSM no longer has these jobs: their live tasks are owed a cancel. Returns how many. */
export async function markJobsGone(db: Db, ctx: ImportContext, externalIds: string[]): Promise<number> {
  if (externalIds.length === 0) return 0;
  const rows = await db<{ id: string }[]>`
    UPDATE tasks SET imported = jsonb_set(coalesce(imported, '{}'), '{deleted}', 'true'), import_effect = 'cancel'
    WHERE tenant_id = ${ctx.tenantId} AND integration_id = ${ctx.integrationId} AND external_job_id = ANY(${externalIds}::text[])
      AND status = ANY(${[...LIVE_STATUSES]}::text[]) AND coalesce(imported->>'deleted', 'false') <> 'true'
    RETURNING id`;
  return rows.length;
}

export async function forgetListing(db: Db, ctx: ImportContext, listingId: string): Promise<void> {
  await db`DELETE FROM integration_listing_jobs WHERE tenant_id = ${ctx.tenantId} AND integration_id = ${ctx.integrationId} AND listing_id = ${listingId}`;
}
