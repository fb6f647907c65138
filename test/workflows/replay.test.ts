/**
 * Replay: recorded workflow histories must replay against the current
 * workflow code, or a deployed change would break running workflows.
 *
 * test/fixtures/histories/*.json were recorded from earlier code. After an
 * intended, versioned change (patched()), record the new paths under new
 * names; the old files stay (test/helpers/histories.ts, recordMissingFixtures):
 *   RECORD_HISTORIES=1 npm test -- test/workflows/replay.test.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { BulkTaskActionInput } from '../../workflows/bulk-task-action';
import { insertTasks } from '../../db/repositories/tasks';
import { bulkWorkflowId, taskWorkflowId } from '../../domain/ids';
import {
  cancelTaskUpdate,
  completeTaskUpdate,
  deleteTaskUpdate,
  dueDateChangedSignal,
  jobCompletedSignal,
  moveTaskStatusUpdate,
  reopenTaskUpdate,
} from '../../domain/messages';
import type { Actor } from '../../domain/task';
import { ensureTaskWorkflows } from '../../temporal/task-workflows';
import { type Harness, createTenantFixture, eventually, startHarness } from '../helpers/harness';
import { HISTORY_FIXTURES as FIXTURES, expectReplays as replay, exportHistory, recordMissingFixtures } from '../helpers/histories';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ taskHistoryLimit: 40 });
});
afterAll(() => h.stop());

/** Runs every kind of lifecycle path once and returns the closed or settled workflows' histories. */
async function recordScenarios(): Promise<{ name: string; json: string }[]> {
  const t = await createTenantFixture(h.sql);
  const actor: Actor = { kind: 'user', id: t.admin.id };
  const task = async (dueInMs: number | null = null) => {
    const [row] = await insertTasks(h.sql, t.tenantId, [
      { title: 'Replay', source: 'manual', dueAt: dueInMs === null ? null : new Date(Date.now() + dueInMs).toISOString() },
    ]);
    await ensureTaskWorkflows(h.sql, h.temporal, [row!]);
    return h.client.workflow.getHandle(taskWorkflowId(row!.id));
  };

  const lifecycle = await task(500);
  await eventually(async () => (await h.sql`SELECT 1 FROM task_events WHERE task_id = ${lifecycle.workflowId.slice(5)} AND type = 'task.overdue'`).length > 0);
  await lifecycle.executeUpdate(moveTaskStatusUpdate, { args: [{ actor, status: 'waiting' }] });
  await lifecycle.signal(dueDateChangedSignal, { dueAt: new Date(Date.now() + 3600_000).toISOString() });
  await lifecycle.executeUpdate(completeTaskUpdate, { args: [{ actor }] });
  await lifecycle.executeUpdate(reopenTaskUpdate, { args: [{ actor }] }).catch(() => undefined);
  await lifecycle.executeUpdate(reopenTaskUpdate, { args: [{ actor }] }).catch(() => undefined);
  await lifecycle.signal(jobCompletedSignal, {});
  await lifecycle.executeUpdate(cancelTaskUpdate, { args: [{ actor }] }).catch(() => undefined);
  await lifecycle.executeUpdate(deleteTaskUpdate, { args: [{ actor }] });
  await lifecycle.result();

  const bulkTasks = await Promise.all([task(), task()]);
  const input: BulkTaskActionInput = {
    tenantId: t.tenantId,
    requestId: crypto.randomUUID(),
    action: 'complete',
    ids: bulkTasks.map((b) => b.workflowId.slice('task/'.length)),
    actor,
  };
  const bulk = await h.client.workflow.start('bulkTaskActionWorkflow', {
    workflowId: bulkWorkflowId(t.tenantId, input.requestId),
    taskQueue: h.taskQueue,
    args: [input],
  });
  await bulk.result();

  const histories = [];
  for (const [name, handle] of [['task-lifecycle', lifecycle], ['bulk-task-action', bulk], ['task-completed-by-bulk', bulkTasks[0]!]] as const) {
    histories.push({ name, json: exportHistory(handle.workflowId) });
  }
  return histories;
}

test('histories recorded from earlier code replay against the current workflows', async () => {
  if (process.env.RECORD_HISTORIES) recordMissingFixtures(await recordScenarios());
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  expect(files.length).toBeGreaterThanOrEqual(3);
  await replay(files.map((f) => ({ name: f, json: readFileSync(path.join(FIXTURES, f), 'utf8') })));
});

test('histories of the current code replay too (no nondeterminism in today’s paths)', async () => {
  await replay(await recordScenarios());
});
