/**
 * scheduledIntegrationSyncWorkflow: what an integration's Schedule
 * (`sync-schedule/<integrationId>`) starts. A Schedule appends the scheduled
 * time to the ids of the workflows it starts, so it cannot start
 * `sync/<integrationId>` itself; this starts it as an abandoned child, or does
 * nothing when a sync (from a webhook or "sync now") is already running.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import { syncWorkflowId } from '../domain/ids';
import type { IntegrationSyncInput } from '../domain/integration-sync';
import { FsmProviderAttr, TenantIdAttr } from '../domain/search-attributes';
import { integrationSyncWorkflow } from './integration-sync';

export async function scheduledIntegrationSyncWorkflow(input: IntegrationSyncInput): Promise<{ started: boolean }> {
  // The schedule tags its runs with the provider (temporal/integration-schedules.ts): the sync carries it on for ops' queries.
  const provider = workflowInfo().typedSearchAttributes.get(FsmProviderAttr);
  try {
    await startChild(integrationSyncWorkflow, {
      workflowId: syncWorkflowId(input.integrationId),
      args: [input],
      // The sync outlives this workflow, which ends as soon as the sync has started.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: [{ key: TenantIdAttr, value: input.tenantId }, ...(provider ? [{ key: FsmProviderAttr, value: provider }] : [])],
    });
    return { started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { started: false };
    throw err;
  }
}
