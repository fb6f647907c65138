/**
 * reconcileIntegrationSchedulesWorkflow: run by the Schedule
 * `reconcile-integration-schedules`. Connecting an integration saves its
 * credentials first and then asks Temporal for its sync schedule; when
 * Temporal could not be reached, the row keeps the schedule owed, and this
 * makes it (and starts the first sync) once Temporal is back.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createIntegrationSyncActivities } from '../activities/integration-sync';

const { settleOwedIntegrationSchedules } = proxyActivities<ReturnType<typeof createIntegrationSyncActivities>>({
  startToCloseTimeout: '5 minutes',
});

/** Owed schedules are rare (Temporal was down while someone connected): one batch per run, the next run takes the rest. */
const BATCH = 100;

/** `graceSeconds`: how long a schedule may be owed before this takes it (the API settles it right after connecting). */
export async function reconcileIntegrationSchedulesWorkflow(input: { graceSeconds: number }): Promise<{ settled: number }> {
  return { settled: await settleOwedIntegrationSchedules({ graceSeconds: input.graceSeconds, limit: BATCH }) };
}
