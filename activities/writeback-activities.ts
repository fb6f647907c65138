/**
 * Activities of the job-note writeback (workflows/writeback.ts).
 *
 * postWritebackNote is the exactly-once core, and safe to repeat at any
 * moment, including after a worker died between the FSM accepting the note
 * and Temporal hearing of it:
 *   1. the writebacks row says posted → done, nothing is sent;
 *   2. the job's notes already hold our marker (the note's own
 *      `Session: <id>` line) → record that note as posted;
 *   3. otherwise post the note and record the FSM's id.
 * Step 2 is only as good as each FSM's listing of a job's notes (README,
 * "Exactly one note per session and integration"):
 *   - ServiceM8: GET /note.json filtered on the job (official): exactly once;
 *   - Simpro: GET …/jobs/{id}/notes/ (official-derived), compared as plain
 *     text; the marker survives Simpro's HTML: exactly once;
 *   - Jobber: the job's notes connection (official schema): exactly once;
 *     jobCreateNote has no idempotency key, so this check is what holds it;
 *   - Commusoft: GET on the configured notes path, UNVERIFIED: exactly once
 *     only if that path lists the job's notes as guessed; at least once if
 *     it lists nothing; a wrong path fails the post too (no blind post).
 * The note is built here, not in the workflow, because its video link is a
 * credential: it never enters history.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { recordingUrlSettings, signRecordingUrl } from '../blob/signed-url';
import type { Config } from '../config';
import { FsmError } from '../connectors/errors';
import { formatJobNote, jobNoteMarker } from '../connectors/job-note';
import { markNeedsReconnect } from '../db/repositories/integrations';
import {
  type NoteContext,
  type WritebackStatus,
  ensureWriteback,
  integrationWritebackStatus,
  loadNoteContext,
  recordAttemptFailed,
  recordNotePosted,
  setWritebackState,
  taskJobSource,
} from '../db/repositories/writebacks';
import type { WritebackInput, WritebackState } from '../domain/session';
import { writebackInputOf } from '../temporal/writebacks';
import { type FsmAccess, type FsmAccessDeps, fsmAccess } from './fsm-access';
import { toApplicationFailure } from './fsm-failures';

export interface WritebackDeps extends FsmAccessDeps {
  config: Pick<Config, 'publicUrl' | 'sessions' | 'writeback'>;
}

export interface WritebackRef {
  tenantId: string;
  writebackId: string;
}

/** What a try ended with; posted and skipped are already recorded on the row. */
export type PostOutcome = { state: 'posted'; fsmNoteId: string; attempts: number } | { state: 'skipped'; reason: string; attempts: number };

/** What a failed try carries to the workflow, beside the error kind and message. */
export interface AttemptDetails {
  attempts: number;
}

export function createWritebackActivities(deps: WritebackDeps) {
  const { sql, config } = deps;

  function noteText(tenantId: string, ctx: NoteContext): string {
    const { session } = ctx;
    const { sessionId } = ctx.writeback;
    return formatJobNote({
      sessionId,
      ...session,
      videoUrl: session.recordingKey ? signRecordingUrl(recordingUrlSettings(config), { tenantId, sessionId }) : null,
      engineer: ctx.engineer,
    });
  }

  /** Step 2 or 3 of the header: the note that is on the job now. */
  async function ensureNote(tenantId: string, ctx: NoteContext, { connector, auth, settings }: FsmAccess) {
    const { writeback } = ctx;
    const [found] = await connector.findJobNotes(auth, settings, writeback.externalJobId, jobNoteMarker(writeback.sessionId));
    return found ?? connector.postJobNote(auth, settings, writeback.externalJobId, noteText(tenantId, ctx));
  }

  /** One try: steps 1–3 of the header. */
  async function postNote({ tenantId, writebackId }: WritebackRef): Promise<PostOutcome> {
    const ctx = await loadNoteContext(sql, tenantId, writebackId);
    if (!ctx) return { state: 'skipped', reason: "the writeback's session, task or integration was deleted", attempts: 0 };
    const { writeback, integration } = ctx;
    if (writeback.state === 'posted') return { state: 'posted', fsmNoteId: writeback.fsmNoteId!, attempts: writeback.attempts };
    if (integration.status === 'disconnected' || integration.syncDirection === 'import') {
      const reason = integration.status === 'disconnected' ? 'the integration was disconnected' : 'writeback is off on the integration';
      await setWritebackState(sql, tenantId, writebackId, 'skipped');
      return { state: 'skipped', reason, attempts: writeback.attempts };
    }
    let access: FsmAccess | undefined;
    try {
      access = fsmAccess(deps, { ...integration, tenantId });
      const note = await ensureNote(tenantId, ctx, access);
      return { state: 'posted', fsmNoteId: note.noteId, attempts: await recordNotePosted(sql, tenantId, writebackId, note.noteId) };
    } catch (err) {
      if (!(err instanceof FsmError)) throw err;
      const attempts = await recordAttemptFailed(sql, tenantId, writebackId, err.message);
      // The token manager marks a failed refresh itself; this covers an FSM refusing a valid token, unless a
      // reconnect has replaced that token since (the generation it was read with).
      if (err.kind === 'auth_revoked') {
        const generation = access?.generation() ?? null;
        await markNeedsReconnect(sql, tenantId, integration.id, err.message, generation === null ? undefined : { generation });
      }
      // The kind's failure (type, retryability, Retry-After), with the count the workflow reports.
      const { type, nonRetryable, nextRetryDelay } = toApplicationFailure(err);
      const details: AttemptDetails = { attempts };
      throw ApplicationFailure.create({
        type: type ?? undefined,
        message: err.message,
        nonRetryable: nonRetryable ?? undefined,
        nextRetryDelay: nextRetryDelay ?? undefined,
        details: [details],
        cause: err,
      });
    }
  }

  return {
    /**
     * The writebacks a completed session owes (the session pipeline starts
     * one workflow per input): one for the task's integration when the task
     * came from one that is connected and has writeback on; none otherwise.
     * Creating the row again returns the same row.
     */
    async prepareWritebacks({ tenantId, taskId, sessionId }: { tenantId: string; taskId: string; sessionId: string }): Promise<WritebackInput[]> {
      const source = await taskJobSource(sql, tenantId, taskId);
      if (!source || source.integrationStatus === 'disconnected' || source.syncDirection === 'import') return [];
      const row = await ensureWriteback(sql, { tenantId, sessionId, taskId, ...source });
      return [writebackInputOf(row, config.writeback)];
    },

    /**
     * One try at the note (see the header). A failure is counted on the row
     * with its message before it is rethrown as the FSM error's kind, with
     * the attempt count in its details; a revoked grant also marks the
     * integration needs_reconnect (the card's error badge).
     */
    async postWritebackNote(ref: WritebackRef): Promise<PostOutcome> {
      return whileBeating(() => postNote(ref));
    },

    /** Moves the row to the workflow's new state (never out of posted); returns the row as it now is. */
    async setWritebackState({ tenantId, writebackId, state, error }: WritebackRef & { state: WritebackState; error?: string | null }): Promise<WritebackStatus | null> {
      return setWritebackState(sql, tenantId, writebackId, state, error ?? null);
    },

    /** The integration, read while a writeback waits for a reconnect: in case the reconnect's signal was lost. */
    async checkWritebackIntegration({ tenantId, integrationId }: { tenantId: string; integrationId: string }) {
      return integrationWritebackStatus(sql, tenantId, integrationId);
    },
  };
}

/**
 * Heartbeats while a try runs, so Temporal notices a worker that died
 * mid-try within the heartbeat timeout instead of the attempt timeout. A
 * cancellation the heartbeat brings does not cut the try short: it ends on
 * its own (every FSM request has a timeout), so a retry never runs beside a
 * try that is still posting.
 */
async function whileBeating<T>(run: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const everyMs = Math.max(200, Math.floor((ctx.info.heartbeatTimeoutMs ?? 3000) / 3));
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await run();
  } finally {
    clearInterval(timer);
  }
}
