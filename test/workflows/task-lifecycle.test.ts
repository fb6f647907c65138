/**
 * The lifecycle workflow on a real Temporal dev server with the real
 * activities: state machine, validators, the overdue timer (short due dates
 * instead of time skipping), the due-date signal, the FSM completion signal,
 * continue-as-new, and delete.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createTaskActivities } from '../../activities/task-activities';
import { insertTasks } from '../../db/repositories/tasks';
import { taskWorkflowId } from '../../domain/ids';
import {
  cancelTaskUpdate,
  completeTaskUpdate,
  deleteTaskUpdate,
  dueDateChangedSignal,
  jobCompletedSignal,
  moveTaskStatusUpdate,
  reopenTaskUpdate,
  taskStateQuery,
} from '../../domain/messages';
import type { Actor } from '../../domain/task';
import { ensureTaskWorkflows } from '../../temporal/task-workflows';
import { type Harness, type TenantFixture, createTenantFixture, eventually, firstRow, startHarness } from '../helpers/harness';

let h: Harness;
let t: TenantFixture;
let actor: Actor;

beforeAll(async () => {
  // A low history limit, so a handful of transitions forces continue-as-new.
  h = await startHarness({ taskHistoryLimit: 40 });
  t = await createTenantFixture(h.sql);
  actor = { kind: 'user', id: t.admin.id };
});
afterAll(() => h.stop());

async function newTask(dueAt: Date | null = null) {
  const [task] = await insertTasks(h.sql, t.tenantId, [{ title: 'Lifecycle', source: 'manual', dueAt: dueAt?.toISOString() ?? null }]);
  await ensureTaskWorkflows(h.sql, h.temporal, [task!]);
  return { id: task!.id, handle: h.client.workflow.getHandle(taskWorkflowId(task!.id)) };
}

const row = (id: string) =>
  firstRow(h.sql<{ status: string; completionSource: string | null }[]>`SELECT status, completion_source FROM tasks WHERE id = ${id}`);
const events = (id: string) =>
  h.sql<{ type: string; actorKind: string; data: Record<string, unknown> }[]>`
    SELECT type, actor_kind, data FROM task_events WHERE task_id = ${id} ORDER BY created_at, id`;

async function rejection(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return ((err as WorkflowUpdateFailedError).cause as Error).message;
}

test('each update persists the transition and its event before returning the new state', async () => {
  const { id, handle } = await newTask();
  const view = await handle.executeUpdate(moveTaskStatusUpdate, { args: [{ actor, status: 'in_progress' }] });
  expect(view).toMatchObject({ taskId: id, status: 'in_progress' });
  expect(await row(id)).toEqual({ status: 'in_progress', completionSource: null });

  await handle.executeUpdate(completeTaskUpdate, { args: [{ actor }] });
  expect(await row(id)).toEqual({ status: 'completed', completionSource: 'manual' });
  expect(await handle.query(taskStateQuery)).toMatchObject({ status: 'completed', completionSource: 'manual' });

  expect((await events(id)).map((e) => [e.type, e.actorKind, e.data.from, e.data.to])).toEqual([
    ['task.status_changed', 'user', 'open', 'in_progress'],
    ['task.completed', 'user', 'in_progress', 'completed'],
  ]);
});

test('an invalid transition is rejected with a reason and changes nothing', async () => {
  const { id, handle } = await newTask();
  expect(await rejection(handle.executeUpdate(reopenTaskUpdate, { args: [{ actor }] }))).toBe(
    'task is open, not closed; nothing to reopen',
  );
  await handle.executeUpdate(cancelTaskUpdate, { args: [{ actor }] });
  expect(await rejection(handle.executeUpdate(completeTaskUpdate, { args: [{ actor }] }))).toBe(
    'a cancelled task cannot be completed; reopen it first',
  );
  expect(await row(id)).toEqual({ status: 'cancelled', completionSource: null });
  expect((await events(id)).map((e) => e.type)).toEqual(['task.cancelled']);
  // Validators reject before anything is written to history.
  const history = await handle.fetchHistory();
  const rejectedInHistory = history.events?.filter((e) => e.workflowExecutionUpdateRejectedEventAttributes) ?? [];
  expect(rejectedInHistory).toHaveLength(0);
});

test('concurrent updates apply one at a time: complete and cancel together, exactly one wins', async () => {
  const { id, handle } = await newTask();
  const results = await Promise.allSettled([
    handle.executeUpdate(completeTaskUpdate, { args: [{ actor }] }),
    handle.executeUpdate(cancelTaskUpdate, { args: [{ actor }] }),
  ]);
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const final = await row(id);
  expect(['completed', 'cancelled']).toContain(final.status);
  expect(await events(id)).toHaveLength(1);
});

test('the overdue timer marks the task overdue at its due date', async () => {
  // Margins are generous: the machine may be loaded, and the check before the due date must hold.
  const { id, handle } = await newTask(new Date(Date.now() + 4000));
  expect(await handle.query(taskStateQuery)).toMatchObject({ overdue: false });
  await eventually(async () => (await handle.query(taskStateQuery)).overdue);
  expect((await events(id)).map((e) => e.type)).toEqual(['task.overdue']);
});

test('moving the due date re-arms the timer; a closed task never becomes overdue', async () => {
  const { id, handle } = await newTask(new Date(Date.now() + 4000));
  const later = new Date(Date.now() + 60 * 60 * 1000).toISOString();
  await h.sql`UPDATE tasks SET due_at = ${later} WHERE id = ${id}`;
  await handle.signal(dueDateChangedSignal, { dueAt: later });
  await new Promise((r) => setTimeout(r, 5000));
  expect(await handle.query(taskStateQuery)).toMatchObject({ overdue: false, dueAt: later });

  const soon = new Date(Date.now() + 1000).toISOString();
  await h.sql`UPDATE tasks SET due_at = ${soon} WHERE id = ${id}`;
  await handle.signal(dueDateChangedSignal, { dueAt: soon });
  await eventually(async () => (await handle.query(taskStateQuery)).overdue);

  // Closed first, then given a due date that passes: no timer may fire for it.
  const closed = await newTask();
  await closed.handle.executeUpdate(completeTaskUpdate, { args: [{ actor }] });
  const passing = new Date(Date.now() + 500).toISOString();
  await h.sql`UPDATE tasks SET due_at = ${passing} WHERE id = ${closed.id}`;
  await closed.handle.signal(dueDateChangedSignal, { dueAt: passing });
  await new Promise((r) => setTimeout(r, 2000));
  expect(await closed.handle.query(taskStateQuery)).toMatchObject({ overdue: false });
  expect((await events(closed.id)).map((e) => e.type)).toEqual(['task.completed']);
});

test('a lost due-date signal is repaired when the timer fires: the row wins', async () => {
  const { id, handle } = await newTask(new Date(Date.now() + 3000));
  const later = new Date(Date.now() + 60 * 60 * 1000).toISOString();
  await h.sql`UPDATE tasks SET due_at = ${later} WHERE id = ${id}`; // edited, but no signal sent
  await eventually(async () => (await handle.query(taskStateQuery)).dueAt === later);
  expect(await handle.query(taskStateQuery)).toMatchObject({ overdue: false });
  expect(await events(id)).toHaveLength(0);
});

test('the FSM completing the job completes a live task as Integration, and leaves a closed one alone', async () => {
  const { id, handle } = await newTask();
  await handle.signal(jobCompletedSignal, {});
  await eventually(async () => (await row(id)).status === 'completed');
  expect(await row(id)).toEqual({ status: 'completed', completionSource: 'integration' });
  expect((await events(id)).map((e) => [e.type, e.actorKind])).toEqual([['task.completed', 'integration']]);

  const cancelled = await newTask();
  await cancelled.handle.executeUpdate(cancelTaskUpdate, { args: [{ actor }] });
  await cancelled.handle.signal(jobCompletedSignal, {});
  // A query after the signal is answered only once the signal was handled.
  expect(await cancelled.handle.query(taskStateQuery)).toMatchObject({ status: 'cancelled' });
  expect(await events(cancelled.id)).toHaveLength(1);
});

test('continue-as-new keeps the state and the next run keeps serving updates', async () => {
  const { id, handle } = await newTask();
  const firstRunId = (await handle.describe()).runId;
  const moves = ['in_progress', 'waiting', 'open', 'in_progress', 'waiting', 'open', 'in_progress', 'waiting'] as const;
  for (const status of moves) {
    await h.client.workflow.getHandle(taskWorkflowId(id)).executeUpdate(moveTaskStatusUpdate, { args: [{ actor, status }] });
  }
  const latest = h.client.workflow.getHandle(taskWorkflowId(id));
  await eventually(async () => (await latest.describe()).runId !== firstRunId);
  expect(await latest.query(taskStateQuery)).toMatchObject({ status: 'waiting' });
  await latest.executeUpdate(completeTaskUpdate, { args: [{ actor }] });
  expect(await row(id)).toEqual({ status: 'completed', completionSource: 'manual' });
  expect(await events(id)).toHaveLength(moves.length + 1);
});

test('delete removes the rows and ends the workflow', async () => {
  const { id, handle } = await newTask();
  await handle.executeUpdate(deleteTaskUpdate, { args: [{ actor }] });
  await handle.result();
  expect(await h.sql`SELECT 1 FROM tasks WHERE id = ${id}`).toHaveLength(0);
  expect((await handle.describe()).status.name).toBe('COMPLETED');
});

test('the persist activity is idempotent: a retry with the same event id writes one event', async () => {
  const [task] = await insertTasks(h.sql, t.tenantId, [{ title: 'Retry', source: 'manual' }]);
  const { persistTaskTransition } = createTaskActivities({ sql: h.sql, blobs: h.blobs });
  const input = {
    tenantId: t.tenantId,
    taskId: task!.id,
    eventId: crypto.randomUUID(),
    event: 'task.completed',
    actor,
    from: 'open' as const,
    state: { status: 'completed' as const, completionSource: 'manual' as const, dueAt: null, overdue: false },
  };
  await persistTaskTransition(input);
  await persistTaskTransition(input);
  expect(await events(task!.id)).toHaveLength(1);
  expect(await row(task!.id)).toEqual({ status: 'completed', completionSource: 'manual' });
  await expect(persistTaskTransition({ ...input, taskId: crypto.randomUUID() })).rejects.toThrow('no longer exists');
});
