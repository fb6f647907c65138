import type { Db } from '../sql';

/** The task detail's session block and failed sessions list. */
export interface SessionSummary {
  id: string;
  status: 'running' | 'completed' | 'failed' | 'abandoned';
  engineerId: string | null;
  startedAt: Date;
  endedAt: Date | null;
  durationSeconds: number | null;
  stepsCompleted: number | null;
  toolsUsed: string[];
  notes: string | null;
  score: number | null;
  thumbnailKey: string | null;
  failureReason: string | null;
}

export async function listTaskSessions(db: Db, tenantId: string, taskId: string): Promise<SessionSummary[]> {
  return db<SessionSummary[]>`
    SELECT id, status, engineer_id, started_at, ended_at, duration_seconds, steps_completed, tools_used, notes,
           score, thumbnail_key, failure_reason
    FROM sessions WHERE tenant_id = ${tenantId} AND task_id = ${taskId} ORDER BY started_at DESC`;
}
