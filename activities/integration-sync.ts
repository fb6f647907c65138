/**
 * Activities of integrationSyncWorkflow. Each call of importJobsPage does one
 * page of work: it reads one page of changed jobs from the FSM, then, in one
 * transaction, upserts their tasks and saves the advanced cursor. A crash
 * before the commit repeats the page (the upsert makes that harmless); a
 * crash after it continues with the next page, never from the start.
 *
 * What the commit owes Temporal (lifecycle workflows for new tasks, the FSM's
 * completions and cancellations for existing ones) is recorded in the rows
 * themselves (workflow_started_at null, import_effect) and delivered from
 * there by the next call, so a crash loses none of it.
 */
import { randomUUID } from 'node:crypto';
import { heartbeat, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import pMap from 'p-map';
import { FsmError } from '../connectors/errors';
import type { FsmJob } from '../connectors/types';
import {
  type ImportContext,
  type ImportPageResult,
  type PendingEffect,
  clearImportEffects,
  forgetListing,
  importJobs,
  importedTasksWithoutWorkflow,
  markJobsGone,
  markListed,
  pendingImportEffects,
  unlistedLiveTasks,
} from '../db/repositories/imported-tasks';
import { integrationsOwingSchedules, markNeedsReconnect, rememberExternalAccount } from '../db/repositories/integrations';
import { findTaskForWorkflow } from '../db/repositories/tasks';
import { type SyncTarget, endSync, finishSync, getSyncTarget, lockSyncTarget, saveSyncCursor } from '../db/repositories/sync-state';
import type { Db } from '../db/sql';
import { taskWorkflowId } from '../domain/ids';
import {
  type IntegrationSyncInput,
  type SyncCounts,
  type SyncCursor,
  type SyncListing,
  type SyncProgress,
  type SyncStart,
  ZERO_COUNTS,
  addCounts,
  progressOf,
} from '../domain/integration-sync';
import { dueDateChangedSignal, jobCompletedSignal } from '../domain/messages';
import { deleteIntegrationSchedule, resumeIntegration } from '../temporal/integration-schedules';
import { executeTaskCommand } from '../temporal/task-commands';
import { type TaskWorkflowDeps, ensureTaskWorkflows } from '../temporal/task-workflows';
import { type FsmAccess, type FsmAccessDeps, fsmAccess } from './fsm-access';
import { mapFsmErrors } from './fsm-failures';

export interface IntegrationSyncDeps extends FsmAccessDeps, TaskWorkflowDeps {
  /** A sync lists every job (not only the changed ones) when the last full listing is older than this. */
  fullSyncIntervalSeconds: number;
}

/** Tasks looked up one by one per call after a full listing. */
const SWEEP_BATCH = 100;
/** Workflow commands read per query while delivering. */
const DELIVERY_BATCH = 1000;
const CONCURRENCY = 16;

/** Heartbeats while `fn` runs: a page can take a while (rate limits, thousands of workflow starts). */
async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  heartbeat();
  const timer = setInterval(() => heartbeat(), 5000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

/** The latest of some RFC 3339 times, or null when there are none. */
function newest(times: (string | null)[]): string | null {
  const max = Math.max(...times.filter((t): t is string => t !== null).map((t) => Date.parse(t)));
  return Number.isFinite(max) ? new Date(max).toISOString() : null;
}

export function createIntegrationSyncActivities(deps: IntegrationSyncDeps) {
  const { sql } = deps;

  /** Starts the lifecycle workflows of the integration's task rows that have none yet. */
  async function startMissingWorkflows(tenantId: string, integrationId: string): Promise<void> {
    for (;;) {
      const tasks = await importedTasksWithoutWorkflow(sql, tenantId, integrationId, DELIVERY_BATCH);
      await ensureTaskWorkflows(sql, deps, tasks);
      if (tasks.length < DELIVERY_BATCH) return;
    }
  }

  /**
   * Sends each owed command to its task's workflow, then clears it. Both are
   * safe to repeat: a completion signal to a closed task does nothing (by
   * design of the lifecycle workflow), and the cancel and reopen updates carry
   * an id made of the job, its version and the command, so Temporal applies
   * each once.
   */
  async function deliver(tenantId: string, integrationId: string, effect: PendingEffect): Promise<void> {
    if (effect.effect === 'complete') {
      const handle = deps.client.workflow.getHandle(taskWorkflowId(effect.taskId));
      try {
        await handle.signal(jobCompletedSignal, {});
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // No workflow: the task was deleted with it, or its start is still owed (as executeTaskCommand repairs).
        const row = await findTaskForWorkflow(sql, tenantId, effect.taskId);
        if (!row) return;
        await ensureTaskWorkflows(sql, deps, [row]);
        await handle.signal(jobCompletedSignal, {});
      }
      return;
    }
    // invalid_transition (already closed, or still live for a reopen) and not_found (deleted) both mean there is nothing left to do.
    await executeTaskCommand(
      sql,
      deps,
      tenantId,
      effect.taskId,
      { kind: effect.effect },
      { actor: { kind: 'integration', id: integrationId } },
      `${integrationId}:${effect.externalJobId}:${effect.jobUpdatedAt}:${effect.effect}`,
    );
  }

  async function deliverPending(tenantId: string, integrationId: string): Promise<void> {
    for (;;) {
      const pending = await pendingImportEffects(sql, tenantId, integrationId, DELIVERY_BATCH);
      await pMap(pending, (effect) => deliver(tenantId, integrationId, effect), { concurrency: CONCURRENCY });
      await clearImportEffects(sql, tenantId, pending);
      if (pending.length < DELIVERY_BATCH) return;
    }
  }

  /**
   * What committed pages owe Temporal: the lifecycle workflows of their new
   * tasks, then the FSM's completions and cancellations. Read from the rows,
   * so whatever a crash left undelivered goes too.
   */
  async function deliverOwed(tenantId: string, integrationId: string): Promise<void> {
    await startMissingWorkflows(tenantId, integrationId);
    await deliverPending(tenantId, integrationId);
  }

  /** Best effort, as for the API's edits: a lost signal leaves the timer to read the row when it fires. */
  async function signalDueDates(changed: ImportPageResult['dueChanged']): Promise<void> {
    await pMap(
      changed,
      ({ taskId, dueAt }) =>
        deps.client.workflow
          .getHandle(taskWorkflowId(taskId))
          .signal(dueDateChangedSignal, { dueAt })
          .catch(() => undefined),
      { concurrency: CONCURRENCY },
    );
  }

  /**
   * Locks the integration and checks the cursor still says what it said when
   * the page was read; null when another run has moved it since (the page is
   * then dropped: its jobs are that run's to import).
   */
  async function lockedAt(tx: Db, seen: SyncTarget): Promise<SyncTarget | null> {
    const locked = await lockSyncTarget(tx, seen.tenantId, seen.id);
    const a = locked?.cursor;
    const b = seen.cursor;
    const same = a && a.listing?.id === b.listing?.id && a.listing?.phase === b.listing?.phase && a.pageToken === b.pageToken;
    return same ? locked : null;
  }

  /** The listing is done: `since` moves to the newest change it saw, and the sync's stats are recorded. */
  async function finish(tx: Db, ctx: ImportContext, cursor: SyncCursor, listing: SyncListing, counts: SyncCounts): Promise<SyncProgress> {
    const since = newest([cursor.since, cursor.highWatermark]);
    const next: SyncCursor = {
      since,
      pageToken: null,
      highWatermark: null,
      listing: null,
      lastFullSyncAt: listing.full ? listing.startedAt : cursor.lastFullSyncAt,
    };
    if (listing.full) await forgetListing(tx, ctx, listing.id);
    await finishSync(tx, ctx.tenantId, ctx.integrationId, next, counts);
    return progressOf({ ...listing, counts }, true);
  }

  async function listPage(target: SyncTarget, listing: SyncListing, access: FsmAccess, ctx: ImportContext): Promise<SyncProgress | null> {
    const page = await access.connector.listChangedJobs(access.auth, access.settings, { since: listing.since, pageToken: target.cursor.pageToken });
    heartbeat();
    const done = await sql.begin(async (tx) => {
      const locked = await lockedAt(tx, target);
      if (!locked) return null;
      const result = await importJobs(tx, ctx, page.jobs);
      if (listing.full) await markListed(tx, ctx, listing.id, page.jobs.map((j) => j.externalId));
      const counts = addCounts(listing.counts, { ...result.counts, pages: 1 });
      const highWatermark = newest([locked.cursor.highWatermark, ...page.jobs.map((j) => j.updatedAt)]);
      if (page.nextPageToken === null && !listing.full) {
        return { result, progress: await finish(tx, ctx, { ...locked.cursor, highWatermark }, listing, counts) };
      }
      // A full listing's last page leads to the sweep for jobs the FSM no longer has.
      const phase = page.nextPageToken === null ? 'sweeping' : 'listing';
      const cursor: SyncCursor = { ...locked.cursor, pageToken: page.nextPageToken, highWatermark, listing: { ...listing, phase, counts } };
      await saveSyncCursor(tx, ctx.tenantId, ctx.integrationId, cursor);
      return { result, progress: progressOf(cursor.listing!) };
    });
    if (!done) return currentProgress(ctx);
    await signalDueDates(done.result.dueChanged);
    return done.progress;
  }

  /**
   * After a full listing: live tasks whose job it did not return are looked
   * up one by one. A job still there was missed by the listing (it moved
   * between pages) and is imported; a job that is gone cancels its task.
   */
  async function sweep(target: SyncTarget, listing: SyncListing, access: FsmAccess, ctx: ImportContext): Promise<SyncProgress | null> {
    const unlisted = await unlistedLiveTasks(sql, ctx, listing.id, SWEEP_BATCH);
    const found = await pMap(unlisted, (t) => access.connector.getJob(access.auth, access.settings, t.externalJobId), { concurrency: 4 });
    heartbeat();
    const done = await sql.begin(async (tx) => {
      const locked = await lockedAt(tx, target);
      if (!locked) return null;
      const result = await importJobs(tx, ctx, found.filter((job): job is FsmJob => job !== null));
      const gone = await markJobsGone(tx, ctx, unlisted.filter((_, i) => found[i] === null).map((t) => t.externalJobId));
      await markListed(tx, ctx, listing.id, unlisted.map((t) => t.externalJobId));
      const counts = addCounts(listing.counts, { ...result.counts, cancelled: result.counts.cancelled + gone });
      if (unlisted.length < SWEEP_BATCH) return { result, progress: await finish(tx, ctx, locked.cursor, listing, counts) };
      const cursor: SyncCursor = { ...locked.cursor, listing: { ...listing, counts } };
      await saveSyncCursor(tx, ctx.tenantId, ctx.integrationId, cursor);
      return { result, progress: progressOf(cursor.listing!) };
    });
    if (!done) return currentProgress(ctx);
    await signalDueDates(done.result.dueChanged);
    return done.progress;
  }

  /**
   * Records the FSM account behind the credentials where the connector has
   * one and the row does not yet (connected before accounts were recorded, or
   * the lookup failed at connect time): Jobber's webhooks are routed by it.
   * Best effort: the listing does not wait on it, and the next page tries again.
   */
  async function rememberAccount(target: SyncTarget, access: FsmAccess): Promise<void> {
    if (target.externalAccountId !== null || !access.connector.accountId) return;
    try {
      await rememberExternalAccount(sql, target.tenantId, target.id, await access.connector.accountId(access.auth, access.settings));
    } catch (err) {
      log.warn('the FSM account of the integration could not be read', { integrationId: target.id, error: (err as Error).message });
    }
  }

  async function currentProgress(ctx: ImportContext): Promise<SyncProgress | null> {
    const listing = (await getSyncTarget(sql, ctx.tenantId, ctx.integrationId))?.cursor.listing;
    return listing ? progressOf(listing) : null;
  }

  return {
    /**
     * Marks the integration as syncing and opens a listing, or resumes the
     * one a crashed or continued-as-new run left. Full (every job) on the
     * first sync and once per fullSyncIntervalSeconds; else jobs changed
     * since the last listing's newest change.
     */
    async beginIntegrationSync({ tenantId, integrationId }: IntegrationSyncInput): Promise<SyncStart> {
      return sql.begin(async (tx) => {
        const target = await lockSyncTarget(tx, tenantId, integrationId);
        if (!target) return { run: false, reason: 'the integration does not exist' };
        if (target.status === 'disconnected' || target.status === 'needs_reconnect') return { run: false, reason: `the integration is ${target.status}` };
        if (!target.hasCredentials) return { run: false, reason: 'the integration is not connected yet' };
        let cursor = target.cursor;
        if (!cursor.listing) {
          const last = cursor.lastFullSyncAt === null ? null : Date.parse(cursor.lastFullSyncAt);
          const full = cursor.since === null || last === null || Date.now() - last >= deps.fullSyncIntervalSeconds * 1000;
          const listing: SyncListing = {
            id: randomUUID(),
            since: full ? null : cursor.since,
            full,
            startedAt: new Date().toISOString(),
            phase: 'listing',
            counts: ZERO_COUNTS,
          };
          cursor = { ...cursor, pageToken: null, highWatermark: null, listing };
        }
        await saveSyncCursor(tx, tenantId, integrationId, cursor, { syncing: true });
        return { run: true, progress: progressOf(cursor.listing!), generation: target.generation };
      });
    },

    /**
     * One page of the listing (or of the sweep after it); null when there is
     * nothing left to do. What the previous page committed is delivered to
     * Temporal while this page is read and written: the import's workflow
     * starts overlap its FSM and database work. The last page delivers its
     * own before the sync ends.
     */
    async importJobsPage({ tenantId, integrationId }: IntegrationSyncInput): Promise<SyncProgress | null> {
      return heartbeating(() =>
        mapFsmErrors(async () => {
          const target = await getSyncTarget(sql, tenantId, integrationId);
          const listing = target?.cursor.listing;
          if (!target || !listing || target.status === 'disconnected') {
            await deliverOwed(tenantId, integrationId);
            return null;
          }
          const ctx: ImportContext = { tenantId, integrationId, provider: target.provider };
          const access = fsmAccess(deps, target);
          const work = async () => {
            await rememberAccount(target, access);
            return (listing.phase === 'listing' ? listPage : sweep)(target, listing, access, ctx);
          };
          const [owed, page] = await Promise.allSettled([deliverOwed(tenantId, integrationId), work()]);
          if (page.status === 'rejected') {
            const err: unknown = page.reason;
            // The token manager marks a failed refresh itself; this covers an FSM refusing a valid token (app
            // disconnected), for the connection that token came from: a reconnect since then wins.
            if (err instanceof FsmError && err.kind === 'auth_revoked') {
              await markNeedsReconnect(sql, tenantId, integrationId, err.message, { generation: access.generation() ?? target.generation });
            }
            throw err;
          }
          if (owed.status === 'rejected') throw owed.reason;
          if (page.value === null || page.value.phase === 'done') await deliverOwed(tenantId, integrationId);
          return page.value;
        }),
      );
    },

    /**
     * The sync stopped before finishing: the integration shows why (or is back
     * to connected when cancelled), unless it was reconnected since the sync
     * began (`generation`): then `reconnected`, and the sync runs again.
     */
    async endIntegrationSync(
      input: IntegrationSyncInput & { failure: { type: string; message: string } | null; generation?: number },
    ): Promise<{ reconnected: boolean }> {
      const { failure } = input;
      const end = failure && { message: failure.message, needsReconnect: failure.type === 'auth_revoked' };
      return sql.begin((tx) => endSync(tx, input.tenantId, input.integrationId, end, input.generation ?? null));
    },

    /**
     * The integration-schedule reconciler's step: integrations whose schedule
     * Temporal did not take when they were connected (or their interval
     * changed) get it now, and the sync that was owed with it.
     */
    async settleOwedIntegrationSchedules({ graceSeconds, limit }: { graceSeconds: number; limit: number }): Promise<number> {
      const owed = await integrationsOwingSchedules(sql, graceSeconds, limit);
      for (const i of owed) {
        await resumeIntegration(sql, deps.client, deps.taskQueue, { tenantId: i.tenantId, integrationId: i.id, provider: i.provider, syncIntervalSeconds: i.syncIntervalSeconds });
        // Disconnected meanwhile: the schedule just made would only start syncs with nothing to do.
        if ((await getSyncTarget(sql, i.tenantId, i.id))?.status === 'disconnected') await deleteIntegrationSchedule(deps.client, i.id);
      }
      return owed.length;
    },
  };
}
