/**
 * Session transitions of the task lifecycle workflow: the session row, the
 * task row and the task event change in one transaction, so a session is
 * never running on a task that does not say In Progress, nor completed on
 * one that did not hear of it. Idempotent by the workflow's event id.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Sql, Tx } from '../db/sql';
import { FailureType } from '../domain/failures';
import type { SessionOutcome, SessionPipelineInput, SessionStatus } from '../domain/session';
import { startSessionPipeline } from '../temporal/session-pipelines';
import type { TaskWorkflowDeps } from '../temporal/task-workflows';
import type { PersistTransitionInput } from './task-activities';

export type SessionChange =
  | { kind: 'start'; sessionId: string; engineerId: string | null }
  | { kind: 'complete'; sessionId: string; outcome: SessionOutcome }
  | { kind: 'fail'; sessionId: string; reason: string }
  /** Abandon only if the session is still silent past the timeout, judged inside the transaction. */
  | { kind: 'abandon'; sessionId: string; idleTimeoutSeconds: number };

export type SessionTransitionResult =
  | { applied: true; recordingKey: string | null }
  /** The device was heard from since the check: look again at `checkAt`. */
  | { applied: false; checkAt: string };

function refuse(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InvalidTransition, message, nonRetryable: true });
}

export function createSessionActivities(deps: { sql: Sql } & Pick<TaskWorkflowDeps, 'client' | 'taskQueue'>) {
  const { sql } = deps;
  return {
    /** Starts the completed session's pipeline; harmless when it was started before. */
    async startSessionPipeline(input: SessionPipelineInput): Promise<void> {
      await startSessionPipeline(deps, input);
    },

    async persistSessionTransition(input: PersistTransitionInput & { change: SessionChange }): Promise<SessionTransitionResult> {
      const { tenantId, taskId, state, change } = input;
      return sql.begin(async (tx) => {
        const [task] = await tx`SELECT id FROM tasks WHERE tenant_id = ${tenantId} AND id = ${taskId} FOR UPDATE`;
        if (!task) {
          throw ApplicationFailure.create({ type: FailureType.TaskNotFound, message: `task ${taskId} no longer exists`, nonRetryable: true });
        }
        const [done] = await tx`SELECT 1 FROM task_events WHERE id = ${input.eventId}`;
        if (done) return { applied: true, recordingKey: await recordingKeyOf(tx, tenantId, change.sessionId) };

        const result = await changeSession(tx, tenantId, taskId, change);
        if (!result.applied) return result;
        await tx`
          INSERT INTO task_events (id, tenant_id, task_id, type, actor_kind, actor_id, data)
          VALUES (${input.eventId}, ${tenantId}, ${taskId}, ${input.event}, ${input.actor.kind}, ${input.actor.id},
                  ${tx.json({ from: input.from, to: state.status, completionSource: state.completionSource, sessionId: change.sessionId })})`;
        await tx`
          UPDATE tasks SET
            status = ${state.status},
            completion_source = ${state.completionSource},
            completed_at = CASE WHEN ${state.status === 'completed'} THEN coalesce(completed_at, now()) END,
            updated_at = now()
          WHERE tenant_id = ${tenantId} AND id = ${taskId}`;
        return result;
      });
    },
  };
}

async function recordingKeyOf(tx: Tx, tenantId: string, sessionId: string): Promise<string | null> {
  const [row] = await tx<{ recordingKey: string | null }[]>`
    SELECT recording_key FROM sessions WHERE tenant_id = ${tenantId} AND id = ${sessionId}`;
  return row?.recordingKey ?? null;
}

async function changeSession(tx: Tx, tenantId: string, taskId: string, change: SessionChange): Promise<SessionTransitionResult> {
  const { sessionId } = change;
  switch (change.kind) {
    case 'start': {
      const [other] = await tx`
        SELECT id FROM sessions WHERE tenant_id = ${tenantId} AND task_id = ${taskId} AND status = 'running' AND id <> ${sessionId}`;
      if (other) throw refuse('a session is already running on this task');
      const [inserted] = await tx`
        INSERT INTO sessions (id, tenant_id, task_id, engineer_id) VALUES (${sessionId}, ${tenantId}, ${taskId}, ${change.engineerId})
        ON CONFLICT (id) DO NOTHING
        RETURNING id`;
      // The id is the device's choice (api/routes/sessions.ts): one some other session has is refused.
      if (!inserted) throw refuse('this session id belongs to another session; choose a new one');
      return { applied: true, recordingKey: null };
    }
    case 'complete': {
      const o = change.outcome;
      const [row] = await tx<{ recordingKey: string | null }[]>`
        UPDATE sessions SET
          status = 'completed', ended_at = now(), last_seen_at = now(), pipeline_state = 'pending',
          score = ${o.score ?? null}, duration_seconds = ${o.durationSeconds ?? null},
          steps_completed = ${o.stepsCompleted ?? null}, tools_used = ${o.toolsUsed ?? []},
          notes = ${o.notes ?? null}, transcript = ${o.transcript ?? null}
        WHERE tenant_id = ${tenantId} AND id = ${sessionId} AND task_id = ${taskId} AND status = 'running'
        RETURNING recording_key`;
      if (row) return { applied: true, recordingKey: row.recordingKey };
      throw refuse(await notRunning(tx, tenantId, taskId, sessionId));
    }
    case 'fail':
    case 'abandon': {
      const abandon = change.kind === 'abandon';
      const timeout = abandon ? change.idleTimeoutSeconds : 0;
      const reason = abandon ? `abandoned: nothing heard from the device for ${timeout} s` : change.reason;
      const [row] = await tx`
        UPDATE sessions SET status = ${abandon ? 'abandoned' : 'failed'}, ended_at = now(), failure_reason = ${reason}
        WHERE tenant_id = ${tenantId} AND id = ${sessionId} AND task_id = ${taskId} AND status = 'running'
          AND (NOT ${abandon} OR last_seen_at <= now() - make_interval(secs => ${timeout}))
        RETURNING id`;
      if (row) return { applied: true, recordingKey: null };
      if (abandon) {
        const [alive] = await tx<{ checkAt: Date }[]>`
          SELECT last_seen_at + make_interval(secs => ${timeout}) AS check_at FROM sessions
          WHERE tenant_id = ${tenantId} AND id = ${sessionId} AND status = 'running'`;
        if (alive) return { applied: false, checkAt: alive.checkAt.toISOString() };
      }
      throw refuse(await notRunning(tx, tenantId, taskId, sessionId));
    }
  }
}

async function notRunning(tx: Tx, tenantId: string, taskId: string, sessionId: string): Promise<string> {
  const [row] = await tx<{ status: SessionStatus }[]>`
    SELECT status FROM sessions WHERE tenant_id = ${tenantId} AND id = ${sessionId} AND task_id = ${taskId}`;
  return row ? `session is ${row.status}, not running` : `session ${sessionId} is not a session of this task`;
}
