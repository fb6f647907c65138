/**
 * Activities of the post-session pipeline (workflows/session-pipeline.ts).
 * Each step moves sessions.pipeline_state on, so GET /v1/sessions/:id shows
 * where the pipeline stands, and each is idempotent: a retried step repeats
 * its write, never a second copy or event. A session row that is gone (its
 * task was deleted) is a non-retryable TaskNotFound, which ends the pipeline
 * quietly.
 */
import { Transform, addAbortSignal, pipeline } from 'node:stream';
import { ApplicationFailure, cancellationSignal, heartbeat, log } from '@temporalio/activity';
import { createAiProvider } from '../ai';
import { AiError, type AiProvider } from '../ai/types';
import { type BlobStore, taskBlobPrefix } from '../blob/blob-store';
import type { Config } from '../config';
import {
  type SessionCompletedInput,
  addPipelineSkipped,
  enterPipelineState,
  recordSessionCompleted,
  saveProcedures,
  saveSummary,
  sessionExists,
  setPipelineRecording,
} from '../db/repositories/session-pipeline';
import type { Sql } from '../db/sql';
import { FailureType } from '../domain/failures';
import type { PipelineState, SessionPipelineResult } from '../domain/session';

export interface SessionPipelineDeps {
  sql: Sql;
  blobs: BlobStore;
  config: Pick<Config, 'ai'>;
}

export interface PipelineSessionRef {
  tenantId: string;
  sessionId: string;
}

/** What the workflow cannot read itself: the AI steps' retry limit and call timeout (config.ai). */
export interface PipelineSettings {
  aiMaxAttempts: number;
  aiTimeoutMs: number;
}

export type PipelineStep = SessionPipelineResult['skipped'][number];

/** Where a session's recording lives once the pipeline has stored it: under the task, so deleting the task removes it. */
export const sessionRecordingKey = (tenantId: string, taskId: string, sessionId: string): string =>
  `${taskBlobPrefix(tenantId, taskId)}sessions/${sessionId}/recording`;

/** Heartbeat at least once per this many bytes copied. */
const HEARTBEAT_BYTES = 4 * 1024 * 1024;

function sessionGone(sessionId: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.TaskNotFound, message: `session ${sessionId} no longer exists (its task was deleted)`, nonRetryable: true });
}

/** Passes bytes through, heartbeating as they go, so a long copy is not mistaken for a dead worker. */
function heartbeatingCopy(): Transform {
  let copied = 0;
  let next = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      copied += chunk.length;
      if (copied >= next) {
        heartbeat({ copiedBytes: copied });
        next = copied + HEARTBEAT_BYTES;
      }
      done(null, chunk);
    },
  });
}

/** Runs an AI call; its AiError becomes an ApplicationFailure whose type is the error's kind. */
async function askAi<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof AiError)) throw err;
    throw ApplicationFailure.create({
      type: err.kind,
      message: err.message,
      nonRetryable: !err.retryable,
      ...(err.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(err.retryAfterMs, 1) } : {}),
    });
  }
}

export function createSessionPipelineActivities({ sql, blobs, config }: SessionPipelineDeps) {
  const ai: AiProvider = createAiProvider(config.ai);

  async function enter(ref: PipelineSessionRef, state: PipelineState) {
    const session = await enterPipelineState(sql, ref.tenantId, ref.sessionId, state);
    if (!session) throw sessionGone(ref.sessionId);
    return session;
  }

  async function exists(key: string): Promise<boolean> {
    const stream = await blobs.get(key);
    stream?.destroy();
    return stream !== null;
  }

  return {
    async beginSessionPipeline(ref: PipelineSessionRef): Promise<PipelineSettings> {
      if (!(await sessionExists(sql, ref.tenantId, ref.sessionId))) throw sessionGone(ref.sessionId);
      return { aiMaxAttempts: config.ai.maxAttempts, aiTimeoutMs: config.ai.timeoutMs };
    },

    /**
     * Copies the staged recording to its permanent key, points the session at
     * it, then deletes the staged blob; returns the permanent key, or null when
     * the staged blob is missing (the session then has no recording). Done
     * already (the row holds the permanent key and the blob is there): only
     * the staged blob's removal is repeated.
     */
    async storeRecording(input: PipelineSessionRef & { taskId: string; stagingKey: string }): Promise<string | null> {
      const { tenantId, sessionId, stagingKey } = input;
      const session = await enter(input, 'uploading');
      const target = sessionRecordingKey(tenantId, input.taskId, sessionId);
      const dropStaged = () => (stagingKey === target ? Promise.resolve() : blobs.delete(stagingKey));
      if (session.recordingKey === target && (await exists(target))) {
        await dropStaged();
        return target;
      }
      const staged = await blobs.get(stagingKey);
      if (!staged) {
        log.warn('staged recording is missing; the session keeps no recording', { sessionId, stagingKey });
        if (!(await setPipelineRecording(sql, tenantId, sessionId, null, null))) throw sessionGone(sessionId);
        return null;
      }
      heartbeat({ copiedBytes: 0 });
      // Cancelling the activity (or its heartbeat timing out) aborts the copy; put() then leaves nothing behind.
      const copy = addAbortSignal(cancellationSignal(), pipeline(staged, heartbeatingCopy(), () => {}));
      const stored = await blobs.put(target, copy);
      if (!(await setPipelineRecording(sql, tenantId, sessionId, target, stored.sizeBytes))) {
        await blobs.delete(target);
        throw sessionGone(sessionId);
      }
      await dropStaged();
      return target;
    },

    async extractProcedures(ref: PipelineSessionRef): Promise<{ count: number }> {
      const session = await enter(ref, 'extracting');
      const procedures = await askAi(() => ai.extractProcedures(session));
      if (!(await saveProcedures(sql, ref.tenantId, ref.sessionId, procedures))) throw sessionGone(ref.sessionId);
      return { count: procedures.length };
    },

    async generateSummary(ref: PipelineSessionRef): Promise<{ length: number }> {
      const session = await enter(ref, 'summarising');
      const summary = await askAi(() => ai.summarise(session));
      if (!(await saveSummary(sql, ref.tenantId, ref.sessionId, summary))) throw sessionGone(ref.sessionId);
      return { length: summary.length };
    },

    /** For a step whose work is another module's (the writebacks): the session shows it is there. */
    async markPipelineState(input: PipelineSessionRef & { state: PipelineState }): Promise<void> {
      await enter(input, input.state);
    },

    /** An AI step failed past its retries: the pipeline goes on, and the session says what it lacks. */
    async recordPipelineSkipped(input: PipelineSessionRef & { step: PipelineStep }): Promise<void> {
      if (!(await addPipelineSkipped(sql, input.tenantId, input.sessionId, input.step))) throw sessionGone(input.sessionId);
    },

    /** Records the task's `session.completed` event and pipeline_state `done`. */
    async recordSessionCompleted(input: SessionCompletedInput): Promise<void> {
      if (!(await recordSessionCompleted(sql, input))) throw sessionGone(input.sessionId);
    },
  };
}
