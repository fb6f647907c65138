/**
 * sessionPipelineWorkflow (`session/<sessionId>`): what happens after a
 * session completes. Started by the task's lifecycle workflow (or the
 * reconciler) with a plain start, not as a child, so it outlives the task
 * workflow's continue-as-new and the task's deletion.
 *
 *   store the recording → extract procedures → summarise → start the job-note
 *   writebacks → record `session.completed` on the task
 *
 * It passes references only (ids, blob keys). The AI steps retry up to
 * AI_MAX_ATTEMPTS; past that the pipeline records the step as skipped and
 * goes on, so a broken AI provider never holds back the writeback. If the
 * session's task is deleted meanwhile, the pipeline ends quietly.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  isCancellation,
  log,
  patched,
  proxyActivities,
  startChild,
  uuid4,
} from '@temporalio/workflow';
import type { PipelineSettings, PipelineStep, createSessionPipelineActivities } from '../activities/session-pipeline';
import type { createWritebackActivities } from '../activities/writeback-activities';
import { FailureType, activityFailureCause } from '../domain/failures';
import { writebackWorkflowId } from '../domain/ids';
import { writebackSearchAttributes } from '../domain/search-attributes';
import type { SessionPipelineInput, SessionPipelineResult, WritebackInput } from '../domain/session';
import { localAndRegular } from './local-activities';
import type { writebackWorkflow } from './writeback';

type Activities = ReturnType<typeof createSessionPipelineActivities>;

type Bookkeeping = Pick<Activities, 'beginSessionPipeline' | 'markPipelineState' | 'recordPipelineSkipped' | 'recordSessionCompleted'> &
  Pick<ReturnType<typeof createWritebackActivities>, 'prepareWritebacks'>;

/**
 * The pipeline's own bookkeeping (its state, the writebacks rows, the task
 * event) is a few rows each time, so it runs as local activities: in this
 * worker, inside the workflow task that asks for it, with no task-queue
 * round trip. They retry with the same backoff, in the worker and then on
 * timers (workflows/local-activities.ts). Runs started before
 * LOCAL_BOOKKEEPING used regular activities and replay that way.
 */
const LOCAL_BOOKKEEPING = 'pipeline-local-bookkeeping';
const bookkeeping = localAndRegular<Bookkeeping>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/**
 * A recording can be gigabytes: the copy heartbeats, so a dead worker is
 * noticed within a minute and the copy starts again on another. A storage
 * outage retries (backoff up to 5 minutes) until it heals.
 */
const { storeRecording } = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '5 minutes' },
});

/**
 * The AI steps' retry limit and timeout are configuration (config.ai), which
 * workflow code cannot read; beginSessionPipeline returns them and they are
 * recorded in this run's history, so a replay uses the same values. Each
 * call is one HTTP request, so its timeout bounds the attempt. The activity
 * marks 400/401/403 and malformed answers non-retryable, and a 429 waits for
 * its Retry-After.
 */
function aiActivities({ aiMaxAttempts, aiTimeoutMs }: PipelineSettings) {
  return proxyActivities<Activities>({
    startToCloseTimeout: aiTimeoutMs + 30_000,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: aiMaxAttempts },
  });
}

/** An activity refused because the session (its task) is gone. */
function sessionGone(err: unknown): boolean {
  return activityFailureCause(err)?.type === FailureType.TaskNotFound;
}

export async function sessionPipelineWorkflow(input: SessionPipelineInput): Promise<SessionPipelineResult> {
  const { tenantId, taskId, sessionId } = input;
  const ref = { tenantId, sessionId };
  const { beginSessionPipeline, markPipelineState, recordPipelineSkipped, recordSessionCompleted, prepareWritebacks } = patched(LOCAL_BOOKKEEPING)
    ? bookkeeping.local
    : bookkeeping.regular;
  try {
    const ai = aiActivities(await beginSessionPipeline(ref));
    const recordingKey = input.recordingKey ? await storeRecording({ ...ref, taskId, stagingKey: input.recordingKey }) : null;

    const skipped: PipelineStep[] = [];
    const aiStep = async (step: PipelineStep, run: () => Promise<unknown>) => {
      try {
        await run();
      } catch (err) {
        if (!(err instanceof ActivityFailure) || sessionGone(err) || isCancellation(err)) throw err;
        log.warn('AI step failed past its retries; going on without it', { sessionId, step, error: err.cause?.message });
        await recordPipelineSkipped({ ...ref, step });
        skipped.push(step);
      }
    };
    await aiStep('procedures', () => ai.extractProcedures(ref));
    await aiStep('summary', () => ai.generateSummary(ref));

    await markPipelineState({ ...ref, state: 'writeback' });
    const writebacks = await prepareWritebacks({ tenantId, taskId, sessionId });
    for (const writeback of writebacks) await startWriteback(writeback);

    await recordSessionCompleted({ ...ref, taskId, eventId: uuid4(), writebackIds: writebacks.map((w) => w.writebackId) });
    return { recordingKey, skipped, writebacks: writebacks.map((w) => ({ integrationId: w.integrationId, state: 'pending' })) };
  } catch (err) {
    if (!sessionGone(err)) throw err;
    log.info('session is gone (its task was deleted); pipeline ended', { sessionId });
    return { recordingKey: null, skipped: [], writebacks: [] };
  }
}

/**
 * Starts the job-note writeback and does not wait for it: it may wait days
 * for a reconnect. One per (session, integration): a writeback already
 * started (running, or posted) is left as it is; a failed one may start again.
 */
async function startWriteback(input: WritebackInput): Promise<void> {
  try {
    await startChild<typeof writebackWorkflow>('writebackWorkflow', {
      workflowId: writebackWorkflowId(input.sessionId, input.integrationId),
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      typedSearchAttributes: writebackSearchAttributes(input, 'pending'),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
