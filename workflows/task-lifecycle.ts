/**
 * taskLifecycleWorkflow (`task/<taskId>`): one per task, the single writer of
 * the task's lifecycle state. Every change arrives as a validated Update (or
 * the FSM's completion signal), is persisted by an idempotent activity, and
 * only then becomes the workflow's state, so what the API returns is what the
 * database holds. Completing a session also starts its pipeline
 * (`session/<sessionId>`).
 */
import {
  ApplicationFailure,
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { Mutex } from 'async-mutex';
import type { SessionChange, SessionTransitionResult, createSessionActivities } from '../activities/session-activities';
import type { createTaskActivities } from '../activities/task-activities';
import { FailureType, activityFailureCause } from '../domain/failures';
import {
  type ActorArgs,
  type TaskLifecycleInput,
  type TaskView,
  archiveTaskUpdate,
  cancelTaskUpdate,
  completeSessionUpdate,
  completeTaskUpdate,
  deleteTaskUpdate,
  dueDateChangedSignal,
  failSessionUpdate,
  jobCompletedSignal,
  moveTaskStatusUpdate,
  reopenTaskUpdate,
  startSessionUpdate,
  taskStateQuery,
} from '../domain/messages';
import { sessionWorkflowId } from '../domain/ids';
import { taskSearchAttributes } from '../domain/search-attributes';
import type { SessionPipelineInput } from '../domain/session';
import { type Actor, SYSTEM_ACTOR, isLive } from '../domain/task';
import { type LifecycleAction, type LifecycleState, transition } from '../domain/task-state';
import { localAndRegular } from './local-activities';

type LifecycleActivities = ReturnType<typeof createTaskActivities> & ReturnType<typeof createSessionActivities>;

/**
 * A transition's write (a few rows in one transaction) and a pipeline's
 * start take milliseconds, so they run as local activities: in this worker,
 * inside the workflow task that asks for them, and an update is answered
 * after one workflow task instead of a task-queue round trip and two more.
 * They retry with the same backoff, in the worker and then on timers
 * (workflows/local-activities.ts). Runs started before LOCAL_WRITES used
 * regular activities and started the pipeline as a child workflow; they
 * replay, and go on, that way.
 */
const LOCAL_WRITES = 'lifecycle-local-writes';
const { local, regular } = localAndRegular<LifecycleActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [FailureType.TaskNotFound] },
});
/** Deleting a task's files can take a while: a regular activity, on any worker. */
const { deleteTaskRecords } = regular;

const DEFAULT_HISTORY_LIMIT = 10_000;

export async function taskLifecycleWorkflow(input: TaskLifecycleInput): Promise<void> {
  const { tenantId, taskId } = input;
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const localWrites = patched(LOCAL_WRITES);
  const writes = localWrites ? local : regular;
  let state: LifecycleState = { ...input.state };
  let deleted = false;
  // Bumped on every state change, so the main loop re-arms the overdue timer.
  let version = 0;
  // Handlers await activities; the mutex makes them apply one at a time, each
  // against the state the previous one left.
  const mutex = new Mutex();

  const view = (): TaskView => ({ taskId, ...state });

  function check(action: LifecycleAction): void {
    if (deleted) throw ApplicationFailure.create({ type: FailureType.TaskNotFound, message: 'task was deleted' });
    const result = transition(state, action);
    if (!result.ok) throw ApplicationFailure.create({ type: FailureType.InvalidTransition, message: result.reason });
  }

  function apply(action: LifecycleAction, actor: Actor): Promise<TaskView> {
    return mutex.runExclusive(async () => {
      await persist(action, actor);
      return view();
    });
  }

  /**
   * Runs under the mutex: checks the action against the current state (an
   * earlier handler may have changed it since validation), persists it, and
   * only then makes it the workflow's state. A session action also writes its
   * session row, in the same transaction; an abandon the session row refuses
   * (the device was heard from) changes nothing but the next check.
   */
  async function persist(action: LifecycleAction, actor: Actor, change?: SessionChange): Promise<SessionTransitionResult> {
    check(action);
    const result = transition(state, action);
    if (!result.ok) throw new Error('unreachable: checked above');
    if (!result.changed) return { applied: true, recordingKey: null };
    const args = { tenantId, taskId, eventId: uuid4(), event: result.event, actor, from: state.status, state: result.state };
    let outcome: SessionTransitionResult = { applied: true, recordingKey: null };
    try {
      if (change) outcome = await writes.persistSessionTransition({ ...args, change });
      else await writes.persistTaskTransition(args);
    } catch (err) {
      // The row refused (session not running, task gone): the caller gets the reason as the update's failure.
      throw refusal(err) ?? err;
    }
    if (outcome.applied) state = result.state;
    else if (state.session) state = { ...state, session: { ...state.session, checkAt: outcome.checkAt } };
    version++;
    return outcome;
  }

  /** Registers an update whose validator and handler apply the same action. */
  function onLifecycleUpdate<A extends ActorArgs>(def: UpdateDefinition<TaskView, [A]>, toAction: (args: A) => LifecycleAction) {
    setHandler(def, (args: A) => apply(toAction(args), args.actor), { validator: (args: A) => check(toAction(args)) });
  }

  onLifecycleUpdate(completeTaskUpdate, (a) => ({ kind: 'complete', source: a.source ?? 'manual' }));
  onLifecycleUpdate(reopenTaskUpdate, () => ({ kind: 'reopen' }));
  onLifecycleUpdate(archiveTaskUpdate, () => ({ kind: 'archive' }));
  onLifecycleUpdate(cancelTaskUpdate, () => ({ kind: 'cancel' }));
  onLifecycleUpdate(moveTaskStatusUpdate, (a) => ({ kind: 'move', to: a.status }));

  setHandler(
    startSessionUpdate,
    ({ actor, sessionId, engineerId, idleTimeoutSeconds }) =>
      mutex.runExclusive(async () => {
        const session = { id: sessionId, idleTimeoutSeconds, checkAt: new Date(Date.now() + idleTimeoutSeconds * 1000).toISOString() };
        await persist({ kind: 'start_session', session }, actor, { kind: 'start', sessionId, engineerId });
        return view();
      }),
    { validator: ({ sessionId, idleTimeoutSeconds }) => check({ kind: 'start_session', session: { id: sessionId, idleTimeoutSeconds, checkAt: '' } }) },
  );

  setHandler(
    completeSessionUpdate,
    ({ actor, sessionId, outcome }) =>
      mutex.runExclusive(async () => {
        const done = await persist({ kind: 'complete_session', sessionId }, actor, { kind: 'complete', sessionId, outcome });
        await startPipeline(sessionId, done.applied ? done.recordingKey : null);
        return view();
      }),
    { validator: ({ sessionId }) => check({ kind: 'complete_session', sessionId }) },
  );

  setHandler(
    failSessionUpdate,
    ({ actor, sessionId, reason }) =>
      mutex.runExclusive(async () => {
        await persist({ kind: 'fail_session', sessionId, abandoned: false }, actor, { kind: 'fail', sessionId, reason });
        return view();
      }),
    { validator: ({ sessionId }) => check({ kind: 'fail_session', sessionId, abandoned: false }) },
  );

  /**
   * The session's pipeline runs on its own: it outlives this workflow's
   * continue-as-new, and the task's deletion.
   */
  async function startPipeline(sessionId: string, recordingKey: string | null): Promise<void> {
    const pipeline: SessionPipelineInput = { tenantId, taskId, sessionId, recordingKey };
    if (localWrites) return writes.startSessionPipeline(pipeline);
    // A run from before LOCAL_WRITES: an abandoned child, as it was recorded.
    await startChild('sessionPipelineWorkflow', {
      workflowId: sessionWorkflowId(sessionId),
      args: [pipeline],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: taskSearchAttributes(tenantId, taskId),
    });
  }

  setHandler(
    deleteTaskUpdate,
    ({ actor }: ActorArgs) =>
      mutex.runExclusive(async () => {
        if (!deleted) {
          await deleteTaskRecords({ tenantId, taskId, actor });
          deleted = true;
        }
        return { deleted: true as const };
      }),
    {
      validator: (_args: ActorArgs) => {
        if (deleted) throw ApplicationFailure.create({ type: FailureType.TaskNotFound, message: 'task was deleted' });
      },
    },
  );

  setHandler(jobCompletedSignal, async () => {
    // The FSM is the source of truth for its jobs: a job it completed completes
    // a live task. A task that is already closed stays as the tenant left it.
    if (deleted || !isLive(state.status)) return;
    await apply({ kind: 'complete', source: 'integration' }, { kind: 'integration', id: null }).catch(() => {
      // Lost a race with another closing transition; the state machine has spoken.
    });
  });

  setHandler(dueDateChangedSignal, ({ dueAt }) => {
    if (dueAt === state.dueAt) return;
    state = { ...state, dueAt, overdue: false };
    version++;
  });

  setHandler(taskStateQuery, view);

  const shouldContinueAsNew = () =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= historyLimit;

  while (!deleted) {
    const wait = earliest(msUntilOverdue(state), msUntilSessionCheck(state));
    const seen = version;
    const woken = await condition(
      () => deleted || version !== seen || shouldContinueAsNew(),
      // condition() takes no zero timeout; 1 ms fires at once.
      wait === undefined ? undefined : Math.max(wait, 1),
    );
    const session = state.session;
    if (!woken && session && (msUntilSessionCheck(state) ?? 1) <= 0) {
      // The device has been silent since the last check: abandon the session,
      // unless its row says it was heard from since (then check again later).
      await mutex.runExclusive(async () => {
        // A delete that was waiting for the mutex has run: nothing to abandon.
        if (deleted || state.session?.id !== session.id) return;
        await persist({ kind: 'fail_session', sessionId: session.id, abandoned: true }, SYSTEM_ACTOR, {
          kind: 'abandon',
          sessionId: session.id,
          idleTimeoutSeconds: session.idleTimeoutSeconds,
        }).catch((err: unknown) => {
          // The session ended another way meanwhile (its row says so): forget it.
          if (refusal(err)?.type !== FailureType.InvalidTransition) throw err;
          state = { ...state, session: null };
          version++;
        });
      });
      continue;
    }
    if (!woken && msUntilOverdue(state) !== undefined) {
      await mutex.runExclusive(async () => {
        const dueAt = state.dueAt;
        if (deleted || dueAt === null || state.overdue || !isLive(state.status)) return;
        // The database may know a later due date than the signal told us
        // (an edit whose signal was lost); it wins, and the timer re-arms.
        const result = await writes.recordTaskOverdue({ tenantId, taskId, eventId: uuid4(), dueAt });
        // A due-date signal handled while the activity ran wins: the loop re-arms for it.
        if (state.dueAt !== dueAt) return;
        state = result.dueAt === dueAt ? { ...state, overdue: true } : { ...state, dueAt: result.dueAt, overdue: false };
        version++;
      });
    }
    if (!deleted && shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof taskLifecycleWorkflow>({ ...input, state });
    }
  }
  await condition(allHandlersFinished);
}

function msUntilSessionCheck(state: LifecycleState): number | undefined {
  return state.session ? Date.parse(state.session.checkAt) - Date.now() : undefined;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** The ApplicationFailure of an activity that refused the change for a reason the caller should hear. */
function refusal(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ApplicationFailure) return err;
  const cause = activityFailureCause(err);
  const refused = cause?.type === FailureType.InvalidTransition || cause?.type === FailureType.TaskNotFound;
  return refused ? ApplicationFailure.create({ type: cause.type, message: cause.message, nonRetryable: true }) : undefined;
}

/** Time until the overdue timer fires, or undefined when none should run. */
function msUntilOverdue(state: LifecycleState): number | undefined {
  if (state.dueAt === null || state.overdue || !isLive(state.status)) return undefined;
  return Date.parse(state.dueAt) - Date.now();
}
