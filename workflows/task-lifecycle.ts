/**
 * taskLifecycleWorkflow (`task/<taskId>`): one per task, the single writer of
 * the task's lifecycle state. Every change arrives as a validated Update (or
 * the FSM's completion signal), is persisted by an idempotent activity, and
 * only then becomes the workflow's state, so what the API returns is what the
 * database holds.
 */
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { UpdateDefinition } from '@temporalio/common';
import { Mutex } from 'async-mutex';
import type { createTaskActivities } from '../activities/task-activities';
import { FailureType } from '../domain/failures';
import {
  type ActorArgs,
  type TaskLifecycleInput,
  type TaskView,
  archiveTaskUpdate,
  cancelTaskUpdate,
  completeTaskUpdate,
  deleteTaskUpdate,
  dueDateChangedSignal,
  jobCompletedSignal,
  moveTaskStatusUpdate,
  reopenTaskUpdate,
  taskStateQuery,
} from '../domain/messages';
import { type Actor, isLive } from '../domain/task';
import { type LifecycleAction, type LifecycleState, transition } from '../domain/task-state';

const { persistTaskTransition, recordTaskOverdue, deleteTaskRecords } = proxyActivities<
  ReturnType<typeof createTaskActivities>
>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: [FailureType.TaskNotFound] },
});

const DEFAULT_HISTORY_LIMIT = 10_000;

export async function taskLifecycleWorkflow(input: TaskLifecycleInput): Promise<void> {
  const { tenantId, taskId } = input;
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
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
      check(action); // again: an earlier handler may have changed the state since validation
      const result = transition(state, action);
      if (!result.ok) throw new Error('unreachable: checked above');
      if (result.changed) {
        await persistTaskTransition({
          tenantId,
          taskId,
          eventId: uuid4(),
          event: result.event,
          actor,
          from: state.status,
          state: result.state,
        });
        state = result.state;
        version++;
      }
      return view();
    });
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
    const wait = msUntilOverdue(state);
    const seen = version;
    const woken = await condition(
      () => deleted || version !== seen || shouldContinueAsNew(),
      // condition() takes no zero timeout; 1 ms fires at once.
      wait === undefined ? undefined : Math.max(wait, 1),
    );
    if (!woken && msUntilOverdue(state) !== undefined) {
      await mutex.runExclusive(async () => {
        const dueAt = state.dueAt;
        if (dueAt === null || state.overdue || !isLive(state.status)) return;
        // The database may know a later due date than the signal told us
        // (an edit whose signal was lost); it wins, and the timer re-arms.
        const result = await recordTaskOverdue({ tenantId, taskId, eventId: uuid4(), dueAt });
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

/** Time until the overdue timer fires, or undefined when none should run. */
function msUntilOverdue(state: LifecycleState): number | undefined {
  if (state.dueAt === null || state.overdue || !isLive(state.status)) return undefined;
  return Date.parse(state.dueAt) - Date.now();
}
