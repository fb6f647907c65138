/**
 * Sends lifecycle commands to a task's workflow and turns the outcome into a
 * plain result: the API maps it to HTTP, the bulk activity to a per-id result.
 */
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { taskWorkflowId } from '../domain/ids';
import { FailureType } from '../domain/failures';
import {
  type ActorArgs,
  type TaskView,
  archiveTaskUpdate,
  cancelTaskUpdate,
  completeSessionUpdate,
  completeTaskUpdate,
  deleteTaskUpdate,
  failSessionUpdate,
  moveTaskStatusUpdate,
  reopenTaskUpdate,
  startSessionUpdate,
} from '../domain/messages';
import type { SessionOutcome } from '../domain/session';
import type { LiveStatus } from '../domain/task';
import { findTaskForWorkflow } from '../db/repositories/tasks';
import type { Db } from '../db/sql';
import { type TaskWorkflowDeps, ensureTaskWorkflows } from './task-workflows';

export type TaskCommand =
  | { kind: 'complete' }
  | { kind: 'reopen' }
  | { kind: 'archive' }
  | { kind: 'cancel' }
  | { kind: 'move'; status: LiveStatus }
  | { kind: 'delete' }
  | { kind: 'start_session'; sessionId: string; engineerId: string | null; idleTimeoutSeconds: number }
  | { kind: 'complete_session'; sessionId: string; outcome: SessionOutcome }
  | { kind: 'fail_session'; sessionId: string; reason: string };

export type CommandOutcome =
  | { ok: true; view: TaskView | null }
  | { ok: false; code: 'invalid_transition' | 'not_found'; message: string };

type CommandResult = CommandOutcome | { ok: false; code: 'workflow_missing'; message: string };

async function send(client: Client, taskId: string, command: TaskCommand, args: ActorArgs, updateId?: string): Promise<TaskView | null> {
  const handle = client.workflow.getHandle(taskWorkflowId(taskId));
  const opts = { args: [args] as [ActorArgs], ...(updateId ? { updateId } : {}) };
  switch (command.kind) {
    case 'complete':
      return handle.executeUpdate(completeTaskUpdate, opts);
    case 'reopen':
      return handle.executeUpdate(reopenTaskUpdate, opts);
    case 'archive':
      return handle.executeUpdate(archiveTaskUpdate, opts);
    case 'cancel':
      return handle.executeUpdate(cancelTaskUpdate, opts);
    case 'move':
      return handle.executeUpdate(moveTaskStatusUpdate, { ...opts, args: [{ ...args, status: command.status }] });
    case 'delete':
      await handle.executeUpdate(deleteTaskUpdate, opts);
      return null;
    case 'start_session': {
      const { kind: _, ...rest } = command;
      return handle.executeUpdate(startSessionUpdate, { ...opts, args: [{ ...args, ...rest }] });
    }
    case 'complete_session':
      return handle.executeUpdate(completeSessionUpdate, { ...opts, args: [{ ...args, sessionId: command.sessionId, outcome: command.outcome }] });
    case 'fail_session':
      return handle.executeUpdate(failSessionUpdate, { ...opts, args: [{ ...args, sessionId: command.sessionId, reason: command.reason }] });
  }
}

/**
 * Runs the command. `updateId` makes a retry of the same command a no-op
 * that returns the first result (Temporal deduplicates updates by id).
 */
async function runTaskCommand(
  client: Client,
  taskId: string,
  command: TaskCommand,
  args: ActorArgs,
  updateId?: string,
): Promise<CommandResult> {
  try {
    return { ok: true, view: await send(client, taskId, command, args, updateId) };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      if (err.cause.type === FailureType.InvalidTransition) return { ok: false, code: 'invalid_transition', message: err.cause.message };
      if (err.cause.type === FailureType.TaskNotFound) return { ok: false, code: 'not_found', message: 'task not found' };
    }
    if (err instanceof WorkflowNotFoundError) {
      return { ok: false, code: 'workflow_missing', message: `the workflow of task ${taskId} is not running` };
    }
    throw err;
  }
}

/**
 * runTaskCommand for a task known to belong to `tenantId`. When the task's
 * workflow is missing (a crash between row write and start that the
 * reconciler has not repaired yet), it is started from the row and the
 * command sent again, so no command fails for that reason.
 */
export async function executeTaskCommand(
  db: Db,
  deps: TaskWorkflowDeps,
  tenantId: string,
  taskId: string,
  command: TaskCommand,
  args: ActorArgs,
  updateId?: string,
): Promise<CommandOutcome> {
  const first = await runTaskCommand(deps.client, taskId, command, args, updateId);
  if (first.ok || first.code !== 'workflow_missing') return first;
  const row = await findTaskForWorkflow(db, tenantId, taskId);
  if (!row) return { ok: false, code: 'not_found', message: 'task not found' };
  await ensureTaskWorkflows(db, deps, [row]);
  const second = await runTaskCommand(deps.client, taskId, command, args, updateId);
  if (!second.ok && second.code === 'workflow_missing') throw new Error(second.message);
  return second;
}
