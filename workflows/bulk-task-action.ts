/**
 * bulkTaskActionWorkflow (`bulk/<tenantId>/<requestId>`): the Dashboard's bulk
 * Complete / Archive / Delete. Once started it finishes even if the API
 * process that started it dies; each chunk is one retried activity whose
 * updates carry ids, so a retry repeats no change.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { BulkAction, BulkItemResult, createMaintenanceActivities } from '../activities/maintenance-activities';
import type { Actor } from '../domain/task';

const { applyBulkTaskAction } = proxyActivities<ReturnType<typeof createMaintenanceActivities>>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export interface BulkTaskActionInput {
  tenantId: string;
  requestId: string;
  action: BulkAction;
  ids: string[];
  actor: Actor;
}

const CHUNK = 50;

export async function bulkTaskActionWorkflow(input: BulkTaskActionInput): Promise<{ results: BulkItemResult[] }> {
  const results: BulkItemResult[] = [];
  for (let i = 0; i < input.ids.length; i += CHUNK) {
    const ids = input.ids.slice(i, i + CHUNK);
    results.push(...(await applyBulkTaskAction({ ...input, ids })));
  }
  return { results };
}
