/**
 * integrationSyncWorkflow (`sync/<integrationId>`): imports the jobs changed
 * in an FSM since the last sync, one page per activity. Started by the
 * integration's schedule (through scheduledIntegrationSyncWorkflow), by
 * webhooks and by "sync now", all on this one id, so two never run at once.
 *
 * The cursor and the running counts live on the integration row, saved with
 * each page, so this workflow holds nothing it could lose: a new run (after
 * continue-as-new, or after a failure) picks the listing up where it stands.
 */
import { CancellationScope, continueAsNew, isCancellation, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import { activityFailureCause } from '../domain/failures';
import type { createIntegrationSyncActivities } from '../activities/integration-sync';
import { type IntegrationSyncInput, PAGES_PER_RUN, type SyncProgress, type SyncResult, syncProgressQuery } from '../domain/integration-sync';

type Activities = ReturnType<typeof createIntegrationSyncActivities>;

const { beginIntegrationSync, endIntegrationSync } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * A page may wait on rate limits and start thousands of workflows: it
 * heartbeats, so a dead worker is noticed in a minute. FSM outages retry with
 * backoff for about an hour, then the integration shows the error (the next
 * scheduled sync resumes the listing). A 429 retries after its Retry-After
 * (nextRetryDelay, activities/fsm-failures.ts); revoked credentials,
 * rejected requests and missing records do not retry.
 */
const { importJobsPage } = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 40 },
});

export async function integrationSyncWorkflow(input: IntegrationSyncInput): Promise<SyncResult> {
  let progress: SyncProgress | null = null;
  setHandler(syncProgressQuery, () => progress);

  const start = await beginIntegrationSync(input);
  if (!start.run) return { outcome: 'skipped', reason: start.reason, progress: null };
  progress = start.progress;

  // The cursor is on the integration row: the next run resumes the listing from the last saved page.
  const pagesPerRun = input.pagesPerRun ?? PAGES_PER_RUN;
  for (let pages = 0; progress.phase !== 'done'; pages++) {
    if (pages >= pagesPerRun || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof integrationSyncWorkflow>(input);
    let next: SyncProgress | null;
    try {
      next = await importJobsPage(input);
    } catch (err) {
      return ended(input, progress, start.generation, err);
    }
    progress = next ?? { ...progress, phase: 'done' };
  }
  return { outcome: 'completed', progress };
}

/**
 * Records why the sync stopped on the integration, then ends it: quietly when
 * it waits for a reconnect, else as a failure. When the integration was
 * reconnected while this run failed, the failure belongs to the old
 * credentials: the sync runs again on the new ones (the reconnect's own start
 * of sync/<id> joined this run, so nothing else would).
 */
async function ended(input: IntegrationSyncInput, progress: SyncProgress, generation: number | undefined, err: unknown): Promise<SyncResult> {
  if (isCancellation(err)) {
    await CancellationScope.nonCancellable(() => endIntegrationSync({ ...input, failure: null }));
    throw err;
  }
  const cause = activityFailureCause(err);
  const failure = { type: cause?.type ?? 'unknown', message: cause?.message ?? (err as Error).message };
  const end = await endIntegrationSync({ ...input, failure, generation });
  // Absent in histories recorded before the activity answered.
  if (end?.reconnected) await continueAsNew<typeof integrationSyncWorkflow>(input);
  // The grant is gone: nothing to retry until a tenant admin reconnects (the integration says so).
  if (failure.type === 'auth_revoked') return { outcome: 'needs_reconnect', reason: failure.message, progress };
  throw err;
}
