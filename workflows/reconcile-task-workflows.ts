/**
 * reconcileTaskWorkflowsWorkflow: run by a Temporal Schedule. Starts the
 * lifecycle workflow of every task row that has been without one for longer
 * than the grace period (a process died between writing the row and starting
 * the workflow).
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createMaintenanceActivities } from '../activities/maintenance-activities';

const { startMissingTaskWorkflows } = proxyActivities<ReturnType<typeof createMaintenanceActivities>>({
  startToCloseTimeout: '5 minutes',
});

const BATCH = 500;

export async function reconcileTaskWorkflowsWorkflow(input: { graceSeconds: number }): Promise<{ repaired: number }> {
  let repaired = 0;
  for (;;) {
    const n = await startMissingTaskWorkflows({ graceSeconds: input.graceSeconds, limit: BATCH });
    repaired += n;
    if (n < BATCH) return { repaired };
  }
}
