/**
 * Side effects of the task lifecycle workflow. Each is idempotent: the
 * workflow passes an event id it generated deterministically, so a retried
 * activity writes the same event once and the same row state again.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { BlobStore } from '../blob/blob-store';
import { taskBlobPrefix } from '../blob/blob-store';
import type { Sql } from '../db/sql';
import { FailureType } from '../domain/failures';
import type { Actor, TaskStatus } from '../domain/task';
import type { LifecycleState } from '../domain/task-state';

export interface TaskActivityDeps {
  sql: Sql;
  blobs: BlobStore;
}

export interface PersistTransitionInput {
  tenantId: string;
  taskId: string;
  eventId: string;
  event: string;
  actor: Actor;
  from: TaskStatus;
  state: LifecycleState;
}

function taskGone(taskId: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.TaskNotFound, message: `task ${taskId} no longer exists`, nonRetryable: true });
}

export function createTaskActivities({ sql, blobs }: TaskActivityDeps) {
  return {
    async persistTaskTransition(input: PersistTransitionInput): Promise<void> {
      const { tenantId, taskId, state } = input;
      const completed = state.status === 'completed';
      // One statement: the event row is inserted only once (its id is fixed by
      // the workflow), and the task row is updated only when it was.
      const [row] = await sql<{ exists: boolean }[]>`
        WITH task AS (
          SELECT id FROM tasks WHERE tenant_id = ${tenantId} AND id = ${taskId}
        ), event AS (
          INSERT INTO task_events (id, tenant_id, task_id, type, actor_kind, actor_id, data)
          SELECT ${input.eventId}, ${tenantId}, id, ${input.event}, ${input.actor.kind}, ${input.actor.id},
                 ${sql.json({ from: input.from, to: state.status, completionSource: state.completionSource })}
          FROM task
          ON CONFLICT (id) DO NOTHING
          RETURNING task_id
        ), updated AS (
          UPDATE tasks SET
            status = ${state.status},
            completion_source = ${state.completionSource},
            completed_at = CASE WHEN ${completed} THEN coalesce(completed_at, now()) END,
            updated_at = now()
          WHERE id IN (SELECT task_id FROM event)
        )
        SELECT EXISTS (SELECT 1 FROM task) AS exists`;
      if (!row?.exists) throw taskGone(taskId);
    },

    /** Records that the due date passed; returns the due date the database holds. */
    async recordTaskOverdue(input: { tenantId: string; taskId: string; eventId: string; dueAt: string }): Promise<{ dueAt: string | null }> {
      const { tenantId, taskId } = input;
      return sql.begin(async (tx) => {
        const [task] = await tx<{ dueAt: Date | null }[]>`
          SELECT due_at FROM tasks WHERE tenant_id = ${tenantId} AND id = ${taskId} FOR UPDATE`;
        if (!task) throw taskGone(taskId);
        const current = task.dueAt ? task.dueAt.toISOString() : null;
        if (current === input.dueAt) {
          await tx`
            INSERT INTO task_events (id, tenant_id, task_id, type, actor_kind, data)
            VALUES (${input.eventId}, ${tenantId}, ${taskId}, 'task.overdue', 'system', ${tx.json({ dueAt: current })})
            ON CONFLICT (id) DO NOTHING`;
        }
        return { dueAt: current };
      });
    },

    /** Deletes the task's blobs, then its rows (attachments, events, sessions cascade). */
    async deleteTaskRecords(input: { tenantId: string; taskId: string; actor: Actor }): Promise<void> {
      await blobs.deletePrefix(taskBlobPrefix(input.tenantId, input.taskId));
      await sql`DELETE FROM tasks WHERE tenant_id = ${input.tenantId} AND id = ${input.taskId}`;
    },
  };
}
