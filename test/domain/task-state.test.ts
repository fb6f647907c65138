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
