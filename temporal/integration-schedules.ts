/**
 * How integration syncs get started: a Temporal Schedule per integration
 * (`sync-schedule/<integrationId>`, every sync_interval_seconds, overlap
 * skip), and startSyncNow for webhooks and the "Sync now" button. The
 * integrations API calls these; nothing here reads the database.
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
import { syncScheduleId, syncWorkflowId } from '../domain/ids';
import type { IntegrationSyncInput } from '../domain/integration-sync';
import { TenantIdAttr } from '../domain/search-attributes';
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

export interface IntegrationScheduleTarget extends IntegrationSyncInput {
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
      typedSearchAttributes: [{ key: TenantIdAttr, value: target.tenantId }],
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
export async function startSyncNow(client: Client, taskQueue: string, input: IntegrationSyncInput): Promise<WorkflowHandleWithFirstExecutionRunId<typeof integrationSyncWorkflow>> {
  return client.workflow.start<typeof integrationSyncWorkflow>('integrationSyncWorkflow', {
    workflowId: syncWorkflowId(input.integrationId),
    taskQueue,
    args: [{ tenantId: input.tenantId, integrationId: input.integrationId }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [{ key: TenantIdAttr, value: input.tenantId }],
  });
}
