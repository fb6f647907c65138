/**
 * reconcileTaskWorkflowsWorkflow: run by a Temporal Schedule. Starts the
 * lifecycle workflow of every task row that has been without one for longer
 * than the grace period (a process died between writing the row and starting
 * the workflow), and the pipeline of every completed session that never got
 * one.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createMaintenanceActivities } from '../activities/maintenance-activities';

const { startMissingTaskWorkflows, startMissingSessionPipelines } = proxyActivities<ReturnType<typeof createMaintenanceActivities>>({
  startToCloseTimeout: '5 minutes',
});

const BATCH = 500;

export async function reconcileTaskWorkflowsWorkflow(input: { graceSeconds: number }): Promise<{ repaired: number; pipelines: number }> {
  let repaired = 0;
  for (;;) {
    const n = await startMissingTaskWorkflows({ graceSeconds: input.graceSeconds, limit: BATCH });
    repaired += n;
    if (n < BATCH) break;
  }
  // One batch a run: rows whose pipeline already runs stay pending until it moves them, so looping could spin.
  const pipelines = await startMissingSessionPipelines({ graceSeconds: input.graceSeconds, limit: BATCH });
  return { repaired, pipelines };
}
