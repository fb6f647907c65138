/**
 * writebackWorkflow (`writeback/<sessionId>/<integrationId>`): puts one
 * completed session's job note on the FSM job its task came from, exactly
 * once. Started by the session pipeline, and again by
 * POST /v1/writebacks/:id/retry for a failed one. Durable retries replace
 * the old retry cron:
 *
 * - the first try runs alone; if it fails and may succeed later, the state
 *   becomes `retrying` and the activity runs again with the full policy:
 *   backoff from 1 s, doubling, capped at maxBackoffSeconds, no attempt
 *   cap (a 429 waits for its Retry-After; a 401 refreshes the token inside
 *   the try). That pending activity is what the Temporal UI shows: attempt
 *   count and last failure;
 * - revoked credentials: `waiting_for_reconnect` until the integration is
 *   reconnected (a signal; an hourly look at the integration in case the
 *   signal was lost). Waiting costs nothing: no tries, no timers but that one;
 * - a rejected note or a missing job: `failed` at once, with the FSM's message;
 * - past the deadline: `failed` ("gave up after …");
 * - writeback turned off (or the integration disconnected): `skipped`,
 *   unless the note is already posted.
 *
 * Every state change goes to the writebacks row and to the WritebackState
 * search attribute. History holds ids only: the note, whose video link is a
 * credential, is built inside the activity, which is idempotent (it looks
 * for the note on the job before posting), so no retry, restart or
 * terminated run ever posts it twice. History stays small (retries happen
 * on the server; the loop turns only on signals and hourly checks), so
 * there is no continue-as-new.
 */
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AttemptDetails, PostOutcome, createWritebackActivities } from '../activities/writeback-activities';
import type { FsmErrorKind } from '../connectors/errors';
import { WritebackStateAttr, writebackSearchAttributes } from '../domain/search-attributes';
import {
  type WritebackInput,
  type WritebackProgress,
  type WritebackResult,
  type WritebackState,
  integrationReconnectedSignal,
  retryWritebackNowSignal,
  writebackDisabledSignal,
  writebackProgressQuery,
} from '../domain/session';

type Activities = ReturnType<typeof createWritebackActivities>;

const { setWritebackState, checkWritebackIntegration } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** Error kinds (activities/fsm-failures.ts) that end the writeback as failed: trying again sends the same and gets the same. */
const REFUSED: readonly string[] = ['payload_rejected', 'not_found'] satisfies FsmErrorKind[];
const NOT_RETRYABLE: FsmErrorKind[] = ['payload_rejected', 'not_found', 'auth_revoked'];
/** While waiting for a reconnect, the integration is read this often, in case the reconnect's signal was lost. */
const RECHECK_MS = 60 * 60 * 1000;
const DEFAULT_MAX_BACKOFF_SECONDS = 300;
const DEFAULT_DEADLINE_SECONDS = 7 * 86_400;
const DEFAULT_ATTEMPT_TIMEOUT_SECONDS = 300;
const MAX_HEARTBEAT_SECONDS = 30;

/** How a try ended. */
type Try =
  | { kind: 'done'; outcome: PostOutcome }
  | { kind: 'failed'; type: string; message: string; attempts: number | null }
  /** A signal (retry now, writeback off) cancelled it. */
  | { kind: 'interrupted' }
  | { kind: 'deadline'; lastError: string | null };

export async function writebackWorkflow(input: WritebackInput): Promise<WritebackResult> {
  const { tenantId, writebackId } = input;
  const maxBackoffSeconds = input.maxBackoffSeconds ?? DEFAULT_MAX_BACKOFF_SECONDS;
  const deadlineSeconds = input.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;
  const attemptTimeoutSeconds = input.attemptTimeoutSeconds ?? DEFAULT_ATTEMPT_TIMEOUT_SECONDS;
  const deadline = workflowInfo().startTime.getTime() + deadlineSeconds * 1000;
  const progress: WritebackProgress = { state: 'pending', attempts: 0, lastError: null };
  let disabled = false;
  /** A reconnect or a "retry now" arrived since the current try began. */
  let woken = false;
  let running: CancellationScope | null = null;

  setHandler(writebackProgressQuery, () => progress);
  setHandler(integrationReconnectedSignal, () => void (woken = true));
  setHandler(retryWritebackNowSignal, () => {
    woken = true;
    running?.cancel();
  });
  setHandler(writebackDisabledSignal, () => {
    disabled = true;
    running?.cancel();
  });
  upsertSearchAttributes(writebackSearchAttributes(input, 'pending'));

  function show(state: WritebackState): void {
    progress.state = state;
    upsertSearchAttributes([{ key: WritebackStateAttr, value: state }]);
  }

  /** A state change: the row first (it never leaves posted), then the search attribute shows what the row holds. */
  async function mark(state: WritebackState, error: string | null = null) {
    const row = await setWritebackState({ tenantId, writebackId, state, error });
    show(row?.state ?? state);
    return row;
  }

  async function end(state: 'failed' | 'skipped', reason: string): Promise<WritebackResult> {
    const row = await mark(state, state === 'failed' ? reason : null);
    if (row?.state === 'posted') return { state: 'posted', fsmNoteId: row.fsmNoteId, reason: null };
    return { state, fsmNoteId: null, reason };
  }

  const gaveUp = (lastError: string | null) => `gave up after ${span(deadlineSeconds)}${lastError ? `: ${lastError}` : ''}`;

  /** One try, or (patient) tries until the deadline, in a scope a signal can cancel. */
  async function post(patient: boolean): Promise<Try> {
    const { postWritebackNote } = proxyActivities<Activities>({
      // Each FSM request times out in 30 s, so a try ends well inside this and a retry never overlaps it.
      startToCloseTimeout: attemptTimeoutSeconds * 1000,
      // The try beats while it runs: a worker that died mid-try is noticed this soon.
      heartbeatTimeout: Math.min(attemptTimeoutSeconds, MAX_HEARTBEAT_SECONDS) * 1000,
      scheduleToCloseTimeout: Math.max(deadline - Date.now(), 1),
      // A cancelled try is waited for, so two tries never run at once.
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
      retry: patient
        ? { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: maxBackoffSeconds * 1000, nonRetryableErrorTypes: NOT_RETRYABLE }
        : { maximumAttempts: 1 },
    });
    woken = false;
    const scope = new CancellationScope();
    running = scope;
    try {
      return { kind: 'done', outcome: await scope.run(() => postWritebackNote({ tenantId, writebackId })) };
    } catch (err) {
      return howItFailed(err);
    } finally {
      running = null;
    }
  }

  /** Waits for a reconnect (or a "retry now"); false when writeback was turned off or the deadline came first. */
  async function reconnected(): Promise<boolean> {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      if (await condition(() => woken || disabled, Math.min(left, RECHECK_MS))) return !disabled;
      if (Date.now() >= deadline) return false;
      const status = await checkWritebackIntegration({ tenantId, integrationId: input.integrationId });
      if (status === 'ready') return true;
      if (status === 'off') disabled = true;
    }
  }

  let patient = false;
  for (;;) {
    if (disabled) return end('skipped', 'writeback was turned off on the integration, or it was disconnected');
    if (Date.now() >= deadline) return end('failed', gaveUp(progress.lastError));
    const tried = await post(patient);
    switch (tried.kind) {
      case 'done':
        progress.attempts = tried.outcome.attempts;
        show(tried.outcome.state);
        return tried.outcome.state === 'posted'
          ? { state: 'posted', fsmNoteId: tried.outcome.fsmNoteId, reason: null }
          : { state: 'skipped', fsmNoteId: null, reason: tried.outcome.reason };
      case 'deadline':
        return end('failed', gaveUp(tried.lastError ?? progress.lastError));
      case 'interrupted':
        continue;
      case 'failed':
        progress.lastError = tried.message;
        progress.attempts = tried.attempts ?? progress.attempts;
        if (REFUSED.includes(tried.type)) return end('failed', tried.message);
        if (tried.type === 'auth_revoked') {
          await mark('waiting_for_reconnect');
          if (!(await reconnected())) continue;
        }
        if (progress.state !== 'retrying') await mark('retrying');
        patient = true;
    }
  }
}

function howItFailed(err: unknown): Try {
  if (isCancellation(err)) {
    // Our own scope was cancelled by a signal; a cancellation of the whole workflow goes on up.
    if (CancellationScope.current().consideredCancelled) throw err;
    return { kind: 'interrupted' };
  }
  if (!(err instanceof ActivityFailure)) throw err;
  const cause = err.cause;
  // The deadline (the schedule-to-close) came, or the next try could not start before it (a long Retry-After, say).
  if (err.retryState === 'TIMEOUT') return { kind: 'deadline', lastError: cause instanceof ApplicationFailure ? cause.message : null };
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as AttemptDetails | undefined;
    return { kind: 'failed', type: cause.type ?? 'Error', message: cause.message, attempts: details?.attempts ?? null };
  }
  return { kind: 'failed', type: 'transient', message: cause?.message ?? err.message, attempts: null };
}

/** 604800 → "7 days", 90 → "90 seconds". */
function span(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  const [size, name] = units.find(([s]) => seconds >= s && seconds % s === 0) ?? [1, 'second'];
  const n = seconds / size;
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}
