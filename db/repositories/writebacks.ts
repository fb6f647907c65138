/**
 * Job-note writebacks: one row per (session, integration), created before
 * its workflow (writeback/<sessionId>/<integrationId>) starts. The row is the
 * record ops, the API and the Dashboard read (state, attempts, last error,
 * the FSM's note id), and its `posted` state is the first half of the
 * exactly-once guarantee: once posted, a writeback never posts again.
 */
import type { WritebackState } from '../../domain/session';
import type { Provider } from '../../domain/task';
import type { Db } from '../sql';
import type { IntegrationStatus } from './integrations';
import { type KeysetOrder, type Page, afterCursor, cursorColumn, toPage } from './pages';

export interface Writeback {
  id: string;
  tenantId: string;
  sessionId: string;
  integrationId: string;
  taskId: string;
  provider: Provider;
  externalJobId: string;
  state: WritebackState;
  attempts: number;
  lastError: string | null;
  lastErrorAt: Date | null;
  fsmNoteId: string | null;
  postedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = [
  'id', 'tenant_id', 'session_id', 'integration_id', 'task_id', 'provider', 'external_job_id', 'state', 'attempts',
  'last_error', 'last_error_at', 'fsm_note_id', 'posted_at', 'created_at', 'updated_at',
];
const columns = (alias: string) => COLUMNS.map((c) => `${alias}.${c}`).join(', ');
const BY_CREATED: KeysetOrder = { column: 'created_at', cast: 'timestamptz' };

/** The FSM job a task came from, with its integration as it stands now; null for a task not imported. */
export interface TaskJobSource {
  integrationId: string;
  provider: Provider;
  externalJobId: string;
  integrationStatus: IntegrationStatus;
  syncDirection: 'import' | 'both';
}

export async function taskJobSource(db: Db, tenantId: string, taskId: string): Promise<TaskJobSource | null> {
  const [row] = await db<TaskJobSource[]>`
    SELECT t.integration_id, i.provider, t.external_job_id, i.status AS integration_status, i.sync_direction
    FROM tasks t JOIN integrations i ON i.tenant_id = t.tenant_id AND i.id = t.integration_id
    WHERE t.tenant_id = ${tenantId} AND t.id = ${taskId} AND t.source = 'integration' AND t.external_job_id IS NOT NULL`;
  return row ?? null;
}

/** The writeback of a session on an integration: created once, then the same row however often this is called. */
export async function ensureWriteback(
  db: Db,
  w: { tenantId: string; sessionId: string; integrationId: string; taskId: string; provider: Provider; externalJobId: string },
): Promise<Writeback> {
  await db`
    INSERT INTO writebacks (tenant_id, session_id, integration_id, task_id, provider, external_job_id)
    VALUES (${w.tenantId}, ${w.sessionId}, ${w.integrationId}, ${w.taskId}, ${w.provider}, ${w.externalJobId})
    ON CONFLICT (tenant_id, session_id, integration_id) DO NOTHING`;
  const [row] = await db<Writeback[]>`
    SELECT ${db.unsafe(columns('w'))} FROM writebacks w
    WHERE w.tenant_id = ${w.tenantId} AND w.session_id = ${w.sessionId} AND w.integration_id = ${w.integrationId}`;
  return row!;
}

export async function getWriteback(db: Db, tenantId: string, id: string): Promise<Writeback | null> {
  const [row] = await db<Writeback[]>`SELECT ${db.unsafe(columns('w'))} FROM writebacks w WHERE w.tenant_id = ${tenantId} AND w.id = ${id}`;
  return row ?? null;
}

/** Everything the note and its post need: the writeback, its integration, its session and the session's engineer. */
export interface NoteContext {
  writeback: Writeback;
  integration: { id: string; provider: Provider; status: IntegrationStatus; syncDirection: 'import' | 'both'; settings: { build?: string; companyId?: string } };
  session: {
    score: number | null;
    durationSeconds: number | null;
    startedAt: Date | null;
    endedAt: Date | null;
    recordingKey: string | null;
    notes: string | null;
  };
  engineer: { name: string; email: string } | null;
}

export async function loadNoteContext(db: Db, tenantId: string, id: string): Promise<NoteContext | null> {
  const writeback = await getWriteback(db, tenantId, id);
  if (!writeback) return null;
  const [row] = await db<(NoteContext['session'] & { integration: NoteContext['integration']; engineerName: string | null; engineerEmail: string | null })[]>`
    SELECT s.score, s.duration_seconds, s.started_at, s.ended_at, s.recording_key, s.notes,
           json_build_object('id', i.id, 'provider', i.provider, 'status', i.status, 'syncDirection', i.sync_direction, 'settings', i.settings) AS integration,
           u.name AS engineer_name, u.email AS engineer_email
    FROM sessions s
    JOIN integrations i ON i.tenant_id = s.tenant_id AND i.id = ${writeback.integrationId}
    LEFT JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.engineer_id
    WHERE s.tenant_id = ${tenantId} AND s.id = ${writeback.sessionId}`;
  if (!row) return null;
  const { integration, engineerName, engineerEmail, ...session } = row;
  return { writeback, integration, session, engineer: engineerName !== null && engineerEmail !== null ? { name: engineerName, email: engineerEmail } : null };
}

/** The note is on the job: posted, with the FSM's id. Counts the try. A posted row is never changed again. */
export async function recordNotePosted(db: Db, tenantId: string, id: string, fsmNoteId: string): Promise<number> {
  const [row] = await db<{ attempts: number }[]>`
    UPDATE writebacks SET state = 'posted', fsm_note_id = ${fsmNoteId}, posted_at = now(), attempts = attempts + 1, updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND state <> 'posted'
    RETURNING attempts`;
  return row?.attempts ?? (await getWriteback(db, tenantId, id))?.attempts ?? 0;
}

/** A try failed: counted, its error kept. The workflow decides what state follows. */
export async function recordAttemptFailed(db: Db, tenantId: string, id: string, error: string): Promise<number> {
  const [row] = await db<{ attempts: number }[]>`
    UPDATE writebacks SET attempts = attempts + 1, last_error = ${error}, last_error_at = now(), updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}
    RETURNING attempts`;
  return row?.attempts ?? 0;
}

export type WritebackStatus = Pick<Writeback, 'state' | 'fsmNoteId' | 'attempts'>;

/**
 * Moves the writeback to `state` (with `error` as its last error, when
 * given), unless it is posted: a posted note stays posted whatever comes
 * later. Returns the row as it now is; null when it is gone.
 */
export async function setWritebackState(db: Db, tenantId: string, id: string, state: WritebackState, error: string | null = null): Promise<WritebackStatus | null> {
  const [row] = await db<WritebackStatus[]>`
    UPDATE writebacks SET
      state = ${state},
      last_error = coalesce(${error}::text, last_error),
      last_error_at = CASE WHEN ${error}::text IS NULL THEN last_error_at ELSE now() END,
      updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND state <> 'posted'
    RETURNING state, fsm_note_id, attempts`;
  const current = row ?? (await getWriteback(db, tenantId, id));
  return current && { state: current.state, fsmNoteId: current.fsmNoteId, attempts: current.attempts };
}

/** A failed writeback goes back to pending for another run (POST /v1/writebacks/:id/retry); its attempts are kept. Null unless it was failed. */
export async function resetFailedWriteback(db: Db, tenantId: string, id: string): Promise<Writeback | null> {
  const [row] = await db<Writeback[]>`
    UPDATE writebacks w SET state = 'pending', updated_at = now()
    WHERE w.tenant_id = ${tenantId} AND w.id = ${id} AND w.state = 'failed'
    RETURNING ${db.unsafe(columns('w'))}`;
  return row ?? null;
}

/** Whether the integration can take a note now: `off` when writeback is off or the integration is gone or disconnected. */
export async function integrationWritebackStatus(db: Db, tenantId: string, integrationId: string): Promise<'ready' | 'needs_reconnect' | 'off'> {
  const [row] = await db<{ status: IntegrationStatus; syncDirection: 'import' | 'both' }[]>`
    SELECT status, sync_direction FROM integrations WHERE tenant_id = ${tenantId} AND id = ${integrationId}`;
  if (!row || row.status === 'disconnected' || row.syncDirection === 'import') return 'off';
  return row.status === 'needs_reconnect' ? 'needs_reconnect' : 'ready';
}

export async function listWritebacks(
  db: Db,
  tenantId: string,
  q: { state?: WritebackState; integrationId?: string; cursor?: string; limit: number },
): Promise<Page<Writeback>> {
  const rows = await db<(Writeback & { pageKey: string[] })[]>`
    SELECT ${db.unsafe(columns('w'))}, ${cursorColumn(db, BY_CREATED, 'w')} FROM writebacks w
    WHERE w.tenant_id = ${tenantId}
      AND ${q.state ? db`w.state = ${q.state}` : db`true`}
      AND ${q.integrationId ? db`w.integration_id = ${q.integrationId}` : db`true`}
      AND ${afterCursor(db, BY_CREATED, 'w', q.cursor)}
    ORDER BY w.created_at, w.id LIMIT ${q.limit + 1}`;
  return toPage(rows, q.limit);
}

/** The integration's writebacks in one of `states`: whose workflows an integration change concerns. */
export async function writebacksInStates(db: Db, tenantId: string, integrationId: string, states: readonly WritebackState[]): Promise<Writeback[]> {
  return db<Writeback[]>`
    SELECT ${db.unsafe(columns('w'))} FROM writebacks w
    WHERE w.tenant_id = ${tenantId} AND w.integration_id = ${integrationId} AND w.state IN ${db(states as WritebackState[])}`;
}

/** What an integration's card shows of its writebacks: how many need attention, by state, and the latest error among them. */
export interface WritebackSummary {
  writebacks: { failed: number; waiting_for_reconnect: number; retrying: number };
  lastWritebackError: { message: string; at: Date } | null;
}

export const NO_WRITEBACK_TROUBLE: WritebackSummary = { writebacks: { failed: 0, waiting_for_reconnect: 0, retrying: 0 }, lastWritebackError: null };

/** Per integration of the tenant (or just `integrationId`) with writebacks needing attention: failed, waiting for a reconnect, retrying. */
export async function writebackSummaries(db: Db, tenantId: string, integrationId?: string): Promise<Map<string, WritebackSummary>> {
  const rows = await db<{ integrationId: string; failed: number; waitingForReconnect: number; retrying: number; lastError: string | null; lastErrorAt: Date | null }[]>`
    SELECT integration_id,
           count(*) FILTER (WHERE state = 'failed')::int AS failed,
           count(*) FILTER (WHERE state = 'waiting_for_reconnect')::int AS waiting_for_reconnect,
           count(*) FILTER (WHERE state = 'retrying')::int AS retrying,
           (array_agg(last_error ORDER BY last_error_at DESC) FILTER (WHERE last_error IS NOT NULL))[1] AS last_error,
           max(last_error_at) FILTER (WHERE last_error IS NOT NULL) AS last_error_at
    FROM writebacks
    WHERE tenant_id = ${tenantId} AND state IN ('failed', 'waiting_for_reconnect', 'retrying')
      AND ${integrationId ? db`integration_id = ${integrationId}` : db`true`}
    GROUP BY integration_id`;
  return new Map(
    rows.map(({ integrationId: id, failed, waitingForReconnect, retrying, lastError, lastErrorAt }) => [
      id,
      {
        writebacks: { failed, waiting_for_reconnect: waitingForReconnect, retrying },
        lastWritebackError: lastError !== null && lastErrorAt !== null ? { message: lastError, at: lastErrorAt } : null,
      },
    ]),
  );
}
