/**
 * Starting task lifecycle workflows. A task row is written first (in its
 * transaction), its workflow started after, and the row then marked. When the
 * process dies in between, the reconciler (reconcileTaskWorkflowsWorkflow)
 * finds the unmarked row and starts the workflow; starting is idempotent.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { taskWorkflowId } from '../domain/ids';
import type { TaskLifecycleInput } from '../domain/messages';
import { taskSearchAttributes } from '../domain/search-attributes';
import type { CreatedTask } from '../db/repositories/tasks';
import type { Db } from '../db/sql';
import { markWorkflowsStarted } from '../db/repositories/tasks';
import pMap from 'p-map';

const START_DEADLINE_MS = 5000;
/** Workflow starts in flight at once (bench/import.ts measures bare starts at the same). */
export const START_CONCURRENCY = 16;

export interface TaskWorkflowDeps {
  client: Client;
  taskQueue: string;
  /** Passed to each workflow; tests lower it to exercise continue-as-new. */
  historyLimit?: number;
}

export async function startTaskWorkflow(deps: TaskWorkflowDeps, task: CreatedTask): Promise<void> {
  const input: TaskLifecycleInput = {
    tenantId: task.tenantId,
    taskId: task.id,
    state: {
      status: task.status,
      completionSource: task.completionSource,
      dueAt: task.dueAt ? task.dueAt.toISOString() : null,
      overdue: false,
    },
    ...(deps.historyLimit ? { historyLimit: deps.historyLimit } : {}),
  };
  try {
    // A short deadline: when Temporal is down the row is already committed and
    // the reconciler will start the workflow, so the API should not hang on it.
    await deps.client.withDeadline(Date.now() + START_DEADLINE_MS, () => deps.client.workflow.start('taskLifecycleWorkflow', {
      workflowId: taskWorkflowId(task.id),
      taskQueue: deps.taskQueue,
      args: [input],
      typedSearchAttributes: taskSearchAttributes(task.tenantId, task.id),
    }));
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/** Starts the workflows of freshly written tasks and marks their rows. */
export async function ensureTaskWorkflows(db: Db, deps: TaskWorkflowDeps, tasks: CreatedTask[]): Promise<void> {
  await pMap(tasks, (task) => startTaskWorkflow(deps, task), { concurrency: START_CONCURRENCY });
  await markWorkflowsStarted(
    db,
    tasks.map((t) => t.id),
  );
}
