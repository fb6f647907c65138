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
  /**
   * The session running on the task, if this workflow started it. Absent in
   * workflows started before sessions existed, and after a repair from the
   * row: then the session's own row is the judge (activities/session-activities.ts).
   */
  session?: RunningSession | null;
}

export interface RunningSession {
  id: string;
  /** A session silent this long is abandoned. */
  idleTimeoutSeconds: number;
  /** When the workflow next checks the session's last_seen_at (ISO). */
  checkAt: string;
}

export type LifecycleAction =
  | { kind: 'complete'; source: CompletionSource }
  | { kind: 'reopen' }
  | { kind: 'archive' }
  | { kind: 'cancel' }
  | { kind: 'move'; to: LiveStatus }
  | { kind: 'start_session'; session: RunningSession }
  | { kind: 'complete_session'; sessionId: string }
  | { kind: 'fail_session'; sessionId: string; abandoned: boolean };

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
    case 'start_session':
      if (state.session) return reject('a session is already running on this task');
      if (!isLive(status)) return reject(`${aTask(status)} cannot start a session; reopen it first`);
      return { ok: true, changed: true, event: 'session.started', state: { ...state, status: 'in_progress', completionSource: null, session: action.session } };
    case 'complete_session': {
      const other = otherSession(state, action.sessionId);
      if (other) return reject(other);
      const ended = { ...state, session: null };
      // A task closed while the session ran (an admin completed it, say) stays as it was closed.
      if (!isLive(status)) return { ok: true, changed: true, event: 'session.ended', state: ended };
      return { ok: true, changed: true, event: 'task.completed', state: { ...ended, status: 'completed', completionSource: 'session' } };
    }
    case 'fail_session': {
      const other = otherSession(state, action.sessionId);
      if (other) return reject(other);
      const event = action.abandoned ? 'session.abandoned' : 'session.failed';
      // The task goes back to open, unless someone moved it on meanwhile.
      return { ok: true, changed: true, event, state: { ...state, session: null, ...(status === 'in_progress' ? { status: 'open' as const } : {}) } };
    }
  }
}

/** Why a complete or fail for this session is refused, when another session is the running one. */
function otherSession(state: LifecycleState, sessionId: string): string | null {
  return state.session && state.session.id !== sessionId ? `session ${sessionId} is not the session running on this task` : null;
}
