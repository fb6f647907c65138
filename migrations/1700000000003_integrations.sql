-- Up Migration
-- What an FSM integration needs to import jobs and write notes back.
-- Secrets (tokens, webhook secret) are stored encrypted by db/crypto.ts with
-- the integration id as associated data; everything else is plain.
ALTER TABLE integrations
  ADD COLUMN display_name           text NOT NULL DEFAULT '',
  -- Non-secret connection settings: API base URL, Simpro build and company id.
  ADD COLUMN settings               jsonb NOT NULL DEFAULT '{}',
  -- {accessToken, refreshToken}, encrypted; null until the OAuth flow completes.
  ADD COLUMN credentials            text,
  ADD COLUMN token_expires_at       timestamptz,
  ADD COLUMN webhook_secret         text,
  ADD COLUMN sync_interval_seconds  integer NOT NULL DEFAULT 300 CHECK (sync_interval_seconds BETWEEN 60 AND 86400),
  -- Where the import stands: {since, pageToken, highWatermark}; saved after every page.
  ADD COLUMN sync_cursor            jsonb,
  ADD COLUMN last_sync_at           timestamptz,
  ADD COLUMN last_sync_stats        jsonb,
  ADD COLUMN connected_at           timestamptz,
  ADD COLUMN disconnected_at        timestamptz;
