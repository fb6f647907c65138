-- Up Migration
-- Work sessions, their post-session pipeline and the job-note writeback
-- (issue 4: api/routes/sessions.ts, workflows/session-pipeline.ts,
-- workflows/writeback.ts).

-- What the engineer's device reports when it completes a session, what the
-- pipeline derives from it, and when the device was last heard from (a
-- running session silent past SESSION_IDLE_TIMEOUT_SECONDS is abandoned).
ALTER TABLE sessions
  ADD COLUMN transcript             text,
  ADD COLUMN recording_size_bytes   bigint,
  ADD COLUMN recording_content_type text,
  ADD COLUMN thumbnail_content_type text,
  ADD COLUMN last_seen_at           timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN summary                text,
  ADD COLUMN procedures             jsonb,
  -- The pipeline's progress, written by its activities:
  -- pending → uploading → extracting → summarising → writeback → done.
  ADD COLUMN pipeline_state         text
    CHECK (pipeline_state IN ('pending', 'uploading', 'extracting', 'summarising', 'writeback', 'done')),
  -- Steps the pipeline went on without (an AI step that failed past its retries).
  ADD COLUMN pipeline_skipped       text[] NOT NULL DEFAULT '{}';

-- One job note per (session, integration). The row is created before the
-- writeback workflow starts and is the record ops and the Dashboard read:
-- state, attempts, the last error and the FSM's note id once posted.
CREATE TABLE writebacks (
  id               uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
  tenant_id        uuid NOT NULL,
  session_id       uuid NOT NULL,
  integration_id   uuid NOT NULL,
  task_id          uuid NOT NULL,
  provider         text NOT NULL CHECK (provider IN ('servicem8', 'simpro', 'jobber', 'commusoft')),
  external_job_id  text NOT NULL,
  state            text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'retrying', 'waiting_for_reconnect', 'posted', 'failed', 'skipped')),
  attempts         integer NOT NULL DEFAULT 0,
  last_error       text,
  last_error_at    timestamptz,
  fsm_note_id      text,
  posted_at        timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id),
  UNIQUE (tenant_id, session_id, integration_id),
  FOREIGN KEY (tenant_id, session_id) REFERENCES sessions (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, integration_id) REFERENCES integrations (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX writebacks_tenant_state ON writebacks (tenant_id, state, created_at, id);
CREATE INDEX writebacks_integration_state ON writebacks (tenant_id, integration_id, state, created_at, id);
