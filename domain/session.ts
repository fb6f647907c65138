/**
 * The vocabulary of work sessions, the post-session pipeline
 * (`session/<sessionId>`) and the job-note writeback
 * (`writeback/<sessionId>/<integrationId>`). Workflow-safe: definitions and
 * types only. Inputs and results carry ids and blob keys, never file bytes or
 * credentials.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Provider } from './task';

export const SESSION_STATUSES = ['running', 'completed', 'failed', 'abandoned'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** What the device reports when it completes a session (POST /v1/sessions/:id/complete). */
export interface SessionOutcome {
  score?: number;
  durationSeconds?: number;
  stepsCompleted?: number;
  toolsUsed?: string[];
  notes?: string;
  transcript?: string;
}

export const PIPELINE_STATES = ['pending', 'uploading', 'extracting', 'summarising', 'writeback', 'done'] as const;
export type PipelineState = (typeof PIPELINE_STATES)[number];

export interface SessionPipelineInput {
  tenantId: string;
  taskId: string;
  sessionId: string;
  /** Blob key of the staged recording, if one was uploaded. */
  recordingKey: string | null;
}

export interface SessionPipelineResult {
  recordingKey: string | null;
  /** AI steps the pipeline went on without after their retries ran out. */
  skipped: ('procedures' | 'summary')[];
  writebacks: { integrationId: string; state: WritebackState }[];
}

export const WRITEBACK_STATES = ['pending', 'retrying', 'waiting_for_reconnect', 'posted', 'failed', 'skipped'] as const;
export type WritebackState = (typeof WRITEBACK_STATES)[number];
/** States a writeback never leaves on its own. */
export const FINAL_WRITEBACK_STATES: readonly WritebackState[] = ['posted', 'failed', 'skipped'];

export interface WritebackInput {
  tenantId: string;
  taskId: string;
  sessionId: string;
  integrationId: string;
  /** writebacks.id */
  writebackId: string;
  provider: Provider;
  externalJobId: string;
  /** Cap on the wait between tries (default 300). */
  maxBackoffSeconds?: number;
  /** After this long the writeback ends as failed (default 7 days). */
  deadlineSeconds?: number;
  /** Longest one try may run (default 300); its heartbeat times out after at most 30 s. */
  attemptTimeoutSeconds?: number;
}

export interface WritebackResult {
  state: Extract<WritebackState, 'posted' | 'failed' | 'skipped'>;
  fsmNoteId: string | null;
  reason: string | null;
}

/** The integration has new credentials (POST /v1/integrations/:id/reconnect): a waiting writeback tries again. */
export const integrationReconnectedSignal = defineSignal('integrationReconnectedSignal');
/** Writeback was turned off on the integration (sync_direction import): a waiting writeback ends as skipped. */
export const writebackDisabledSignal = defineSignal('writebackDisabledSignal');
/** An operator asked for a try now (POST /v1/writebacks/:id/retry). */
export const retryWritebackNowSignal = defineSignal('retryWritebackNowSignal');

export interface WritebackProgress {
  state: WritebackState;
  attempts: number;
  lastError: string | null;
}
export const writebackProgressQuery = defineQuery<WritebackProgress>('writebackProgressQuery');
