/**
 * Signal, update and query definitions of the task lifecycle workflow. The
 * variable name and the registered string are the same, always.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor, CompletionSource, LiveStatus } from './task';
import type { SessionOutcome } from './session';
import type { LifecycleState } from './task-state';

export interface TaskLifecycleInput {
  tenantId: string;
  taskId: string;
  state: LifecycleState;
  /** Continue-as-new once history passes this many events (tests set it low). */
  historyLimit?: number;
}

export interface TaskView extends LifecycleState {
  taskId: string;
}

export interface ActorArgs {
  actor: Actor;
}

export const completeTaskUpdate = defineUpdate<TaskView, [ActorArgs & { source?: Extract<CompletionSource, 'manual' | 'other'> }]>(
  'completeTaskUpdate',
);
export const reopenTaskUpdate = defineUpdate<TaskView, [ActorArgs]>('reopenTaskUpdate');
export const archiveTaskUpdate = defineUpdate<TaskView, [ActorArgs]>('archiveTaskUpdate');
export const cancelTaskUpdate = defineUpdate<TaskView, [ActorArgs]>('cancelTaskUpdate');
export const moveTaskStatusUpdate = defineUpdate<TaskView, [ActorArgs & { status: LiveStatus }]>('moveTaskStatusUpdate');
/** Deletes the task's rows and blobs, then the workflow ends. */
export const deleteTaskUpdate = defineUpdate<{ deleted: true }, [ActorArgs]>('deleteTaskUpdate');

/**
 * Session updates (api/routes/sessions.ts). The session id is chosen by the
 * API, and each update is sent with the update id `<kind>:<sessionId>`, so a
 * repeated call is the same update.
 */
export const startSessionUpdate = defineUpdate<TaskView, [ActorArgs & { sessionId: string; engineerId: string | null; idleTimeoutSeconds: number }]>(
  'startSessionUpdate',
);
/** Completes the session (and a live task, with source `session`), then starts its pipeline `session/<sessionId>`. */
export const completeSessionUpdate = defineUpdate<TaskView, [ActorArgs & { sessionId: string; outcome: SessionOutcome }]>('completeSessionUpdate');
/** Records a failed attempt; an in-progress task goes back to open. */
export const failSessionUpdate = defineUpdate<TaskView, [ActorArgs & { sessionId: string; reason: string }]>('failSessionUpdate');

/** The FSM completed the job the task came from: the task shows Integration ✓. */
export const jobCompletedSignal = defineSignal<[{ completedAt?: string }]>('jobCompletedSignal');
/** The due date was edited: the overdue timer re-arms. */
export const dueDateChangedSignal = defineSignal<[{ dueAt: string | null }]>('dueDateChangedSignal');

export const taskStateQuery = defineQuery<TaskView>('taskStateQuery');
