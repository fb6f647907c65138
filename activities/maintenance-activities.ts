/**
 * Activities that drive task workflows from outside: bulk actions and the
 * reconciler. They hold a Temporal client; everything they send is
 * idempotent (update ids, workflow ids), so a retried activity repeats nothing.
 */
import { heartbeat } from '@temporalio/activity';
import pMap from 'p-map';
import { findPendingPipelines } from '../db/repositories/session-pipeline';
import { existingTaskIds, findTasksWithoutWorkflow } from '../db/repositories/tasks';
import type { Sql } from '../db/sql';
import type { Actor, TaskStatus } from '../domain/task';
import { startSessionPipeline } from '../temporal/session-pipelines';
import { type TaskCommand, executeTaskCommand } from '../temporal/task-commands';
import { type TaskWorkflowDeps, ensureTaskWorkflows } from '../temporal/task-workflows';

export type BulkAction = 'complete' | 'archive' | 'delete';

export interface BulkItemResult {
  id: string;
  ok: boolean;
  status?: TaskStatus | 'deleted';
  error?: { code: 'not_found' | 'invalid_transition'; message: string };
}

export interface BulkChunkInput {
  tenantId: string;
  requestId: string;
  action: BulkAction;
  ids: string[];
  actor: Actor;
}

export interface MaintenanceActivityDeps extends TaskWorkflowDeps {
  sql: Sql;
}

export function createMaintenanceActivities(deps: MaintenanceActivityDeps) {
  const { sql } = deps;
  return {
    async applyBulkTaskAction(input: BulkChunkInput): Promise<BulkItemResult[]> {
      const known = await existingTaskIds(sql, input.tenantId, input.ids);
      const command: TaskCommand = { kind: input.action };
      return pMap(
        input.ids,
        async (id): Promise<BulkItemResult> => {
          if (!known.has(id)) return { id, ok: false, error: { code: 'not_found', message: 'task not found' } };
          const result = await executeTaskCommand(sql, deps, input.tenantId, id, command, { actor: input.actor }, `${input.requestId}:${id}`);
          heartbeat();
          if (result.ok) return { id, ok: true, status: result.view ? result.view.status : 'deleted' };
          return { id, ok: false, error: { code: result.code, message: result.message } };
        },
        { concurrency: 16 },
      );
    },

    /** Starts the workflows of task rows that have none; returns how many it repaired. */
    async startMissingTaskWorkflows(input: { graceSeconds: number; limit: number }): Promise<number> {
      const tasks = await findTasksWithoutWorkflow(sql, input.graceSeconds, input.limit);
      await ensureTaskWorkflows(sql, deps, tasks);
      return tasks.length;
    },

    /**
     * The task workflow starts a session's pipeline right after recording its
     * completion; only an operator terminating that workflow in between can
     * leave a completed session without one. This starts it (once: the id is
     * session/<id>, never reused) for sessions still `pending` after the
     * grace period; a pipeline that exists already is left alone. Returns how
     * many it started.
     */
    async startMissingSessionPipelines(input: { graceSeconds: number; limit: number }): Promise<number> {
      const pending = await findPendingPipelines(sql, input.graceSeconds, input.limit);
      const started = await pMap(
        pending,
        (s) => startSessionPipeline(deps, { tenantId: s.tenantId, taskId: s.taskId, sessionId: s.id, recordingKey: s.recordingKey }),
        { concurrency: 16 },
      );
      return started.filter(Boolean).length;
    },
  };
}
