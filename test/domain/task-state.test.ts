import { sessionBadge } from '../../domain/task';
import { type LifecycleAction, type LifecycleState, transition } from '../../domain/task-state';
import type { TaskStatus } from '../../domain/task';

const state = (status: TaskStatus, completionSource: LifecycleState['completionSource'] = null): LifecycleState => ({
  status,
  completionSource,
  dueAt: null,
  overdue: false,
});

const outcome = (from: TaskStatus, action: LifecycleAction) => {
  const result = transition(state(from, from === 'completed' ? 'manual' : null), action);
  return result.ok ? result.state.status : `rejected: ${result.reason}`;
};

describe('task lifecycle state machine', () => {
  test.each<[TaskStatus, LifecycleAction, string]>([
    ['open', { kind: 'complete', source: 'manual' }, 'completed'],
    ['in_progress', { kind: 'complete', source: 'manual' }, 'completed'],
    ['waiting', { kind: 'complete', source: 'manual' }, 'completed'],
    ['completed', { kind: 'complete', source: 'manual' }, 'rejected: task is already completed'],
    ['cancelled', { kind: 'complete', source: 'manual' }, 'rejected: a cancelled task cannot be completed; reopen it first'],
    ['archived', { kind: 'complete', source: 'manual' }, 'rejected: an archived task cannot be completed; reopen it first'],
    ['completed', { kind: 'reopen' }, 'open'],
    ['cancelled', { kind: 'reopen' }, 'open'],
    ['archived', { kind: 'reopen' }, 'open'],
    ['open', { kind: 'reopen' }, 'rejected: task is open, not closed; nothing to reopen'],
    ['in_progress', { kind: 'archive' }, 'archived'],
    ['completed', { kind: 'archive' }, 'archived'],
    ['archived', { kind: 'archive' }, 'rejected: task is already archived'],
    ['open', { kind: 'cancel' }, 'cancelled'],
    ['completed', { kind: 'cancel' }, 'rejected: a completed task cannot be cancelled; reopen it first'],
    ['cancelled', { kind: 'cancel' }, 'rejected: task is already cancelled'],
    ['open', { kind: 'move', to: 'waiting' }, 'waiting'],
    ['waiting', { kind: 'move', to: 'in_progress' }, 'in_progress'],
    ['completed', { kind: 'move', to: 'in_progress' }, 'in_progress'],
    ['archived', { kind: 'move', to: 'open' }, 'rejected: an archived task cannot be moved; reopen it first'],
  ])('%s + %j → %s', (from, action, expected) => {
    expect(outcome(from, action)).toBe(expected);
  });

  test('moving to the same status changes nothing and records nothing', () => {
    const result = transition(state('waiting'), { kind: 'move', to: 'waiting' });
    expect(result).toMatchObject({ ok: true, changed: false, state: { status: 'waiting' } });
  });

  test('completion keeps its source; reopening and moving clear it; archiving keeps it', () => {
    const completed = transition(state('open'), { kind: 'complete', source: 'integration' });
    expect(completed).toMatchObject({ ok: true, state: { completionSource: 'integration' }, event: 'task.completed' });
    expect(transition(state('completed', 'session'), { kind: 'archive' })).toMatchObject({ state: { completionSource: 'session' } });
    expect(transition(state('completed', 'session'), { kind: 'reopen' })).toMatchObject({ state: { completionSource: null } });
    expect(transition(state('completed', 'session'), { kind: 'move', to: 'open' })).toMatchObject({ state: { completionSource: null } });
  });
});

describe('session transitions', () => {
  const running = { id: 's1', idleTimeoutSeconds: 60, checkAt: '2026-01-01T00:00:00.000Z' };
  const withSession = (status: TaskStatus): LifecycleState => ({ ...state(status), session: running });

  test.each<[TaskStatus, string]>([
    ['open', 'in_progress'],
    ['waiting', 'in_progress'],
    ['in_progress', 'in_progress'],
    ['completed', 'rejected: a completed task cannot start a session; reopen it first'],
    ['archived', 'rejected: an archived task cannot start a session; reopen it first'],
  ])('starting a session on %s → %s', (from, expected) => {
    expect(outcome(from, { kind: 'start_session', session: running })).toBe(expected);
  });

  test('one running session per task', () => {
    const second = transition(withSession('in_progress'), { kind: 'start_session', session: { ...running, id: 's2' } });
    expect(second).toEqual({ ok: false, reason: 'a session is already running on this task' });
  });

  test('completing the running session completes a live task with source session and forgets the session', () => {
    const done = transition(withSession('in_progress'), { kind: 'complete_session', sessionId: 's1' });
    expect(done).toMatchObject({ ok: true, event: 'task.completed', state: { status: 'completed', completionSource: 'session', session: null } });
  });

  test('a task closed while its session ran stays as it was closed', () => {
    const closed = { ...state('completed', 'manual'), session: running };
    expect(transition(closed, { kind: 'complete_session', sessionId: 's1' })).toMatchObject({
      ok: true,
      event: 'session.ended',
      state: { status: 'completed', completionSource: 'manual', session: null },
    });
  });

  test('another session than the running one is refused; an unknown running session defers to the row', () => {
    expect(transition(withSession('in_progress'), { kind: 'complete_session', sessionId: 's2' })).toMatchObject({ ok: false });
    expect(transition(withSession('in_progress'), { kind: 'fail_session', sessionId: 's2', abandoned: false })).toMatchObject({ ok: false });
    // A workflow repaired from the row does not know the session: the activity checks the session row instead.
    expect(transition(state('in_progress'), { kind: 'complete_session', sessionId: 's2' })).toMatchObject({ ok: true });
  });

  test('a failed or abandoned session puts an in-progress task back to open, and only that', () => {
    expect(transition(withSession('in_progress'), { kind: 'fail_session', sessionId: 's1', abandoned: false })).toMatchObject({
      event: 'session.failed',
      state: { status: 'open', session: null },
    });
    expect(transition(withSession('waiting'), { kind: 'fail_session', sessionId: 's1', abandoned: true })).toMatchObject({
      event: 'session.abandoned',
      state: { status: 'waiting', session: null },
    });
  });
});

describe('session badge', () => {
  test.each([
    ['open', null, false, 'none'],
    ['in_progress', null, true, 'in_progress'],
    ['completed', 'session', false, 'session'],
    ['completed', 'manual', false, 'manual'],
    ['completed', 'integration', false, 'integration'],
    ['completed', 'other', false, 'completed'],
    ['archived', 'manual', false, 'manual'],
    ['cancelled', null, false, 'none'],
  ] as const)('%s / %s / running session %s → %s', (status, source, running, badge) => {
    expect(sessionBadge(status, source, running)).toBe(badge);
  });
});
