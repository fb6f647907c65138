/**
 * The task lifecycle state machine: which transitions are allowed from which
 * status, and why not when they are not. Pure, so the workflow's update
 * validators, its handlers and the tests all use the same rules.
 */
import { type CompletionSource, type LiveStatus, type TaskStatus, isLive } from './task';

export interface LifecycleState {
  status: TaskStatus;
  completionSource: CompletionSource | null;
  dueAt: string | null;
  /** Set when the overdue timer fired for the current due date. */
  overdue: boolean;
}

export type LifecycleAction =
  | { kind: 'complete'; source: CompletionSource }
  | { kind: 'reopen' }
  | { kind: 'archive' }
  | { kind: 'cancel' }
  | { kind: 'move'; to: LiveStatus };

export type Transition =
  | { ok: true; changed: boolean; state: LifecycleState; event: string }
  | { ok: false; reason: string };

const label: Record<TaskStatus, string> = {
  open: 'open',
  in_progress: 'in progress',
  waiting: 'waiting',
  completed: 'completed',
  cancelled: 'cancelled',
  archived: 'archived',
};
const aTask = (status: TaskStatus) => `${status === 'archived' ? 'an' : 'a'} ${label[status]} task`;

function reject(reason: string): Transition {
  return { ok: false, reason };
}

function to(state: LifecycleState, status: TaskStatus, completionSource: CompletionSource | null, event: string): Transition {
  return { ok: true, changed: true, event, state: { ...state, status, completionSource } };
}

export function transition(state: LifecycleState, action: LifecycleAction): Transition {
  const { status } = state;
  switch (action.kind) {
    case 'complete':
      if (status === 'completed') return reject('task is already completed');
      if (!isLive(status)) return reject(`${aTask(status)} cannot be completed; reopen it first`);
      return to(state, 'completed', action.source, 'task.completed');
    case 'reopen':
      if (isLive(status)) return reject(`task is ${label[status]}, not closed; nothing to reopen`);
      return to(state, 'open', null, 'task.reopened');
    case 'archive':
      if (status === 'archived') return reject('task is already archived');
      // Archiving keeps how the task was completed: the badge still says so.
      return to(state, 'archived', state.completionSource, 'task.archived');
    case 'cancel':
      if (status === 'cancelled') return reject('task is already cancelled');
      if (!isLive(status)) return reject(`${aTask(status)} cannot be cancelled; reopen it first`);
      return to(state, 'cancelled', null, 'task.cancelled');
    case 'move':
      if (status === action.to) return { ok: true, changed: false, event: 'task.status_changed', state };
      // A Kanban drag out of the Completed or Cancelled column reopens the task there.
      if (status === 'archived') return reject('an archived task cannot be moved; reopen it first');
      return to(state, action.to, null, 'task.status_changed');
  }
}
