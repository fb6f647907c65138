/**
 * Session rows: the task detail's session blocks, the Sessions API's reads and
 * the device's uploads and keep-alives. Status changes are not here: the task
 * lifecycle workflow makes them, with the task row (activities/session-activities.ts).
 */
import type { PipelineState, SessionStatus } from '../../domain/session';
import type { Db } from '../sql';
import type { Writeback } from './writebacks';

/** The task detail's session block and failed sessions list. */
export interface SessionSummary {
  id: string;
  status: SessionStatus;
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

/** GET /v1/sessions/:id: the session without its transcript (which can be long), with its engineer. */
export interface SessionRecord extends SessionSummary {
  taskId: string;
  engineer: { id: string; name: string } | null;
  recordingKey: string | null;
  recordingSizeBytes: number | null;
  recordingContentType: string | null;
  thumbnailContentType: string | null;
  lastSeenAt: Date;
  summary: string | null;
  procedures: unknown;
  pipelineState: PipelineState | null;
  pipelineSkipped: string[];
}

export async function getSession(db: Db, tenantId: string, id: string): Promise<SessionRecord | null> {
  const [row] = await db<SessionRecord[]>`
    SELECT s.id, s.task_id, s.status, s.engineer_id, s.started_at, s.ended_at, s.duration_seconds, s.steps_completed,
           s.tools_used, s.notes, s.score, s.thumbnail_key, s.failure_reason, s.recording_key,
           s.recording_size_bytes::float8 AS recording_size_bytes, s.recording_content_type, s.thumbnail_content_type,
           s.last_seen_at, s.summary, s.procedures, s.pipeline_state, s.pipeline_skipped,
           CASE WHEN u.id IS NULL THEN NULL ELSE json_build_object('id', u.id, 'name', u.name) END AS engineer
    FROM sessions s LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.engineer_id
    WHERE s.tenant_id = ${tenantId} AND s.id = ${id}`;
  return row ?? null;
}

/** A recording (or thumbnail) the device uploaded: its blob, and that the device was heard from. */
export interface SessionUpload {
  key: string;
  contentType: string;
  sizeBytes: number;
}

/** Points the running session at its uploaded recording; false when the session is no longer running. */
export async function setSessionRecording(db: Db, tenantId: string, id: string, upload: SessionUpload): Promise<boolean> {
  const rows = await db`
    UPDATE sessions SET recording_key = ${upload.key}, recording_size_bytes = ${upload.sizeBytes},
                        recording_content_type = ${upload.contentType}, last_seen_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND status = 'running'
    RETURNING id`;
  return rows.length > 0;
}

/** A thumbnail may come with the session or just after it completed; false when it is over otherwise. */
export async function setSessionThumbnail(db: Db, tenantId: string, id: string, upload: Omit<SessionUpload, 'sizeBytes'>): Promise<boolean> {
  const rows = await db`
    UPDATE sessions SET thumbnail_key = ${upload.key}, thumbnail_content_type = ${upload.contentType}, last_seen_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND status IN ('running', 'completed')
    RETURNING id`;
  return rows.length > 0;
}

/** The device's keep-alive: the lifecycle workflow abandons a running session whose last_seen_at is too old. */
export async function touchSession(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db`
    UPDATE sessions SET last_seen_at = now() WHERE tenant_id = ${tenantId} AND id = ${id} AND status = 'running' RETURNING id`;
  return rows.length > 0;
}

/** The job notes of a session, one per integration, as the session shows them. */
export type SessionWriteback = Pick<
  Writeback,
  'id' | 'integrationId' | 'provider' | 'state' | 'attempts' | 'lastError' | 'lastErrorAt' | 'fsmNoteId' | 'postedAt'
>;

export async function listSessionWritebacks(db: Db, tenantId: string, sessionId: string): Promise<SessionWriteback[]> {
  return db<SessionWriteback[]>`
    SELECT id, integration_id, provider, state, attempts, last_error, last_error_at, fsm_note_id, posted_at
    FROM writebacks WHERE tenant_id = ${tenantId} AND session_id = ${sessionId} ORDER BY created_at, id`;
}
