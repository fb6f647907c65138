/**
 * The import's rules for one job and its task (domain/import-plan.ts): what
 * is created, which fields the FSM may still change, and which lifecycle
 * commands the FSM's changes become.
 */
import { type CurrentTask, type ImportedState, planImport } from '../../domain/import-plan';

const job = (patch: Partial<ImportedState> = {}): ImportedState => ({
  title: 'Boiler service',
  description: 'Annual service',
  dueAt: '2026-02-01T09:00:00.000Z',
  customerId: 'c1',
  assigneeIds: ['u1'],
  status: 'open',
  deleted: false,
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...patch,
});

/** A task as the last import left it (the task holds exactly what was imported). */
const imported = (state: ImportedState, patch: Partial<CurrentTask> = {}): CurrentTask => ({
  id: 't1',
  status: 'open',
  completionSource: null,
  importEffect: null,
  title: state.title,
  description: state.description,
  dueAt: state.dueAt,
  customerId: state.customerId,
  assigneeIds: state.assigneeIds,
  imported: state,
  ...patch,
});

const later = '2026-01-02T00:00:00.000Z';

describe('a job seen for the first time', () => {
  test('becomes a task in its status; a completed job, a completed task', () => {
    expect(planImport(undefined, 'j1', job())).toMatchObject({ kind: 'create', status: 'open' });
    expect(planImport(undefined, 'j1', job({ status: 'in_progress' }))).toMatchObject({ kind: 'create', status: 'in_progress' });
    expect(planImport(undefined, 'j1', job({ status: 'completed' }))).toMatchObject({ kind: 'create', status: 'completed' });
  });

  test('deleted or cancelled: no task', () => {
    expect(planImport(undefined, 'j1', job({ deleted: true }))).toEqual({ kind: 'skip', externalJobId: 'j1', reason: 'gone' });
    expect(planImport(undefined, 'j1', job({ status: 'cancelled' }))).toEqual({ kind: 'skip', externalJobId: 'j1', reason: 'gone' });
  });
});

describe('a job seen again', () => {
  test('unchanged: nothing to do', () => {
    expect(planImport(imported(job()), 'j1', job())).toMatchObject({ kind: 'skip', reason: 'unchanged' });
  });

  test('an older version than the one imported is ignored', () => {
    const task = imported(job({ updatedAt: later }));
    expect(planImport(task, 'j1', job({ title: 'Old title' }))).toMatchObject({ kind: 'skip', reason: 'stale' });
  });

  test('fields the tenant left alone take the FSM\'s new values', () => {
    const next = job({ title: 'New title', dueAt: '2026-03-01T09:00:00Z', assigneeIds: ['u1', 'u2'], updatedAt: later });
    expect(planImport(imported(job()), 'j1', next)).toMatchObject({
      kind: 'update',
      changed: ['title', 'dueAt', 'assigneeIds'],
      values: { title: 'New title', description: 'Annual service', dueAt: '2026-03-01T09:00:00Z', assigneeIds: ['u1', 'u2'] },
      effect: null,
    });
  });

  test('a field the tenant edited stays theirs, in this import and the ones after', () => {
    const task = imported(job(), { title: 'Edited by the admin' });
    const first = planImport(task, 'j1', job({ title: 'FSM title 2', description: 'New scope', updatedAt: later }));
    expect(first).toMatchObject({ kind: 'update', changed: ['description'], values: { title: 'Edited by the admin', description: 'New scope' } });
    // The next import compares with what this one recorded: still the tenant's.
    const after = imported(first.kind === 'update' ? first.state : job(), { title: 'Edited by the admin' });
    const second = planImport(after, 'j1', job({ title: 'FSM title 3', updatedAt: '2026-01-03T00:00:00.000Z' }));
    expect(second).toMatchObject({ kind: 'update', values: { title: 'Edited by the admin' } });
    expect(second.kind === 'update' && second.changed).not.toContain('title');
  });

  test('a tenant who sets the FSM\'s value again hands the field back', () => {
    const task = imported(job({ title: 'FSM title' }), { title: 'FSM title' });
    expect(planImport(task, 'j1', job({ title: 'FSM renamed it', updatedAt: later }))).toMatchObject({ values: { title: 'FSM renamed it' } });
  });

  test('the same instant written differently is the same due date', () => {
    const task = imported(job(), { dueAt: '2026-02-01T09:00:00Z' });
    expect(planImport(task, 'j1', job({ description: 'x', updatedAt: later }))).toMatchObject({ changed: ['description'] });
  });

  test('a task imported without a record of what was imported: every field counts as the tenant\'s', () => {
    const task = { ...imported(job()), title: 'Typed by hand', imported: null };
    expect(planImport(task, 'j1', job({ title: 'From the FSM', updatedAt: later }))).toMatchObject({ kind: 'update', changed: [], values: { title: 'Typed by hand' } });
  });
});

describe('the FSM closing a job', () => {
  test('completed: the live task is owed a completion, once', () => {
    const done = planImport(imported(job()), 'j1', job({ status: 'completed', updatedAt: later }));
    expect(done).toMatchObject({ kind: 'update', effect: 'complete' });
    const again = imported(job({ status: 'completed', updatedAt: later }));
    expect(planImport(again, 'j1', job({ status: 'completed', description: 'notes', updatedAt: '2026-01-03T00:00:00.000Z' }))).toMatchObject({ effect: null });
  });

  test('deleted or cancelled: the live task is owed a cancel', () => {
    expect(planImport(imported(job()), 'j1', job({ deleted: true, updatedAt: later }))).toMatchObject({ effect: 'cancel' });
    expect(planImport(imported(job()), 'j1', job({ status: 'cancelled', updatedAt: later }))).toMatchObject({ effect: 'cancel' });
  });

  test('a task the tenant already closed is left as they left it', () => {
    const closed = imported(job(), { status: 'archived' });
    expect(planImport(closed, 'j1', job({ status: 'completed', updatedAt: later }))).toMatchObject({ kind: 'update', effect: null });
  });
});

describe('the FSM reopening a job it had completed', () => {
  const completedJob = job({ status: 'completed', updatedAt: later });
  const reopened = (status: ImportedState['status'] = 'open') => job({ status, updatedAt: '2026-01-03T00:00:00.000Z' });

  test('the task the import completed (Integration ✓) is owed a reopen, whether the job is open or under way again', () => {
    const closedByFsm = imported(completedJob, { status: 'completed', completionSource: 'integration' });
    expect(planImport(closedByFsm, 'j1', reopened())).toMatchObject({ kind: 'update', effect: 'reopen' });
    expect(planImport(closedByFsm, 'j1', reopened('in_progress'))).toMatchObject({ kind: 'update', effect: 'reopen' });
  });

  test('a completion still owed (not yet delivered) is overtaken by the reopen', () => {
    const owed = imported(completedJob, { status: 'open', importEffect: 'complete' });
    expect(planImport(owed, 'j1', reopened())).toMatchObject({ effect: 'reopen' });
  });

  test('a task a person completed, archived or cancelled stays as they left it', () => {
    for (const patch of [
      { status: 'completed', completionSource: 'manual' },
      { status: 'completed', completionSource: 'session' },
      { status: 'archived', completionSource: 'integration' },
      { status: 'cancelled', completionSource: null },
    ] as const) {
      expect(planImport(imported(completedJob, patch), 'j1', reopened())).toMatchObject({ kind: 'update', effect: null });
    }
  });

  test('only a job the last import saw completed is a reopen: an open job changing is not', () => {
    const closedByFsm = imported(job(), { status: 'completed', completionSource: 'integration' });
    expect(planImport(closedByFsm, 'j1', job({ description: 'more work', updatedAt: later }))).toMatchObject({ effect: null });
    // Reopened straight into deletion: nothing to reopen.
    const done = imported(completedJob, { status: 'completed', completionSource: 'integration' });
    expect(planImport(done, 'j1', job({ deleted: true, updatedAt: '2026-01-03T00:00:00.000Z' }))).toMatchObject({ effect: null });
  });
});
