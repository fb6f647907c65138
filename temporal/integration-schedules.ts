/**
 * How integration syncs get started: a Temporal Schedule per integration
 * (`sync-schedule/<integrationId>`, every sync_interval_seconds, overlap
 * skip), and startSyncNow for webhooks and the "Sync now" button. The
 * integrations API calls these. A schedule Temporal did not take (it was
 * down when the integration was connected) stays owed on the row
 * (integrations.schedule_owed_since) until resumeIntegration succeeds, from the
 * API or from the reconciler schedule (`reconcile-integration-schedules`).
 */
import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleOptionsAction,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleSpec,
  type WorkflowHandleWithFirstExecutionRunId,
  WorkflowIdConflictPolicy,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { scheduleSettled } from '../db/repositories/integrations';
import type { Db } from '../db/sql';
import { RECONCILE_INTEGRATIONS_SCHEDULE_ID, syncScheduleId, syncWorkflowId } from '../domain/ids';
import type { IntegrationSyncInput } from '../domain/integration-sync';
import { FsmProviderAttr, TenantIdAttr } from '../domain/search-attributes';
import type { Provider } from '../domain/task';
import type { integrationSyncWorkflow } from '../workflows/integration-sync';

/** Creates a schedule, or brings an existing one up to date (spec and action): safe to call again and again. */
export async function upsertSchedule(client: Client, scheduleId: string, spec: ScheduleSpec, action: ScheduleOptionsAction): Promise<void> {
  try {
    await client.schedule.create({ scheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP } }));
  }
}

/** A sync's integration; its provider, when given, tags the sync's runs (FsmProvider) for ops' queries. */
export interface SyncRunTarget extends IntegrationSyncInput {
  provider?: Provider;
}

/** TenantId and FsmProvider of a sync run: `temporal workflow list --query "WorkflowType='integrationSyncWorkflow' AND FsmProvider='jobber'"`. */
function syncSearchAttributes(target: SyncRunTarget): SearchAttributePair[] {
  return [{ key: TenantIdAttr, value: target.tenantId }, ...(target.provider ? [{ key: FsmProviderAttr, value: target.provider }] : [])];
}

export interface IntegrationScheduleTarget extends SyncRunTarget {
  /** integrations.sync_interval_seconds (300 by default). */
  syncIntervalSeconds: number;
}

/** The integration's sync schedule, created or updated (a changed interval, say). */
export async function ensureIntegrationSchedule(client: Client, taskQueue: string, target: IntegrationScheduleTarget): Promise<void> {
  const input: IntegrationSyncInput = { tenantId: target.tenantId, integrationId: target.integrationId };
  await upsertSchedule(
    client,
    syncScheduleId(target.integrationId),
    { intervals: [{ every: `${target.syncIntervalSeconds}s` }] },
    {
      type: 'startWorkflow',
      workflowType: 'scheduledIntegrationSyncWorkflow',
      workflowId: syncScheduleId(target.integrationId),
      taskQueue,
      args: [input],
      // The scheduled workflow hands these on to the sync it starts.
      typedSearchAttributes: syncSearchAttributes(target),
    },
  );
}

/** The schedule made to match the row (the interval it holds), which then owes none. */
export async function settleIntegrationSchedule(db: Db, client: Client, taskQueue: string, target: IntegrationScheduleTarget): Promise<void> {
  await ensureIntegrationSchedule(client, taskQueue, target);
  await scheduleSettled(db, target.tenantId, target.integrationId, target.syncIntervalSeconds);
}

/**
 * What follows new credentials: the schedule settled, and a sync started (the
 * first one, or the one a revoked grant stopped). Safe to repeat.
 */
export async function resumeIntegration(db: Db, client: Client, taskQueue: string, target: IntegrationScheduleTarget): Promise<void> {
  await settleIntegrationSchedule(db, client, taskQueue, target);
  await startSyncNow(client, taskQueue, target);
}

/**
 * A schedule owed for this long is the reconciler's: well past the API's own
 * attempt right after connecting (api/integration-services.ts), so the two never race.
 */
export const SCHEDULE_OWED_GRACE_SECONDS = 60;

/** The reconciler of owed integration schedules (workflows/reconcile-integration-schedules.ts), every `intervalSeconds`. */
export async function ensureIntegrationReconcileSchedule(client: Client, taskQueue: string, intervalSeconds: number): Promise<void> {
  await upsertSchedule(
    client,
    RECONCILE_INTEGRATIONS_SCHEDULE_ID,
    { intervals: [{ every: `${intervalSeconds}s` }] },
    {
      type: 'startWorkflow',
      workflowType: 'reconcileIntegrationSchedulesWorkflow',
      workflowId: RECONCILE_INTEGRATIONS_SCHEDULE_ID,
      taskQueue,
      args: [{ graceSeconds: SCHEDULE_OWED_GRACE_SECONDS }],
    },
  );
}

/** Stops the integration's schedule (a disconnect); a sync already running finishes its listing. */
export async function deleteIntegrationSchedule(client: Client, integrationId: string): Promise<void> {
  try {
    await client.schedule.getHandle(syncScheduleId(integrationId)).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/**
 * Starts `sync/<integrationId>`, or attaches to it when one is running: a
 * webhook or "Sync now" during a sync never starts a second. (A change made
 * after a running listing passed it is picked up by the next sync, whose
 * `since` starts at that listing's newest change.)
 */
export async function startSyncNow(client: Client, taskQueue: string, input: SyncRunTarget): Promise<WorkflowHandleWithFirstExecutionRunId<typeof integrationSyncWorkflow>> {
  return client.workflow.start<typeof integrationSyncWorkflow>('integrationSyncWorkflow', {
    workflowId: syncWorkflowId(input.integrationId),
    taskQueue,
    args: [{ tenantId: input.tenantId, integrationId: input.integrationId }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: syncSearchAttributes(input),
  });
}
