-- Up Migration
-- What the review of the FSM integrations added (issue 3): which connection
-- a failure was seen with, so a reconnect always wins over it; the FSM
-- account behind the credentials, so Jobber's one webhook URL per app can be
-- routed; a sync schedule owed to Temporal; and jobs the FSM reopened.
ALTER TABLE integrations
  -- Bumped by every connect and reconnect (new credentials from the tenant,
  -- not a token refresh). Status writes caused by a failure apply only while
  -- the generation is the one the failure was seen with.
  ADD COLUMN connection_generation integer NOT NULL DEFAULT 0,
  -- When the current credentials were connected: an FSM's "app disconnected"
  -- event older than this is about the previous connection.
  ADD COLUMN last_connected_at     timestamptz,
  -- The FSM account the credentials belong to (Jobber's `account { id }`):
  -- Jobber posts every account's webhooks to one URL per app.
  ADD COLUMN external_account_id   text,
  -- Since when the Temporal schedule is not known to match the row (set by
  -- connecting and by an interval change, cleared once Temporal took the
  -- schedule): owed for longer than a grace period, the integration-schedule
  -- reconciler creates or updates it.
  ADD COLUMN schedule_owed_since   timestamptz;

-- The one lookup across tenants besides the webhook's by id: by FSM account.
CREATE INDEX integrations_external_account ON integrations (provider, external_account_id) WHERE external_account_id IS NOT NULL;
-- The reconciler's scan, across tenants on purpose.
CREATE INDEX integrations_schedule_owed ON integrations (schedule_owed_since) WHERE schedule_owed_since IS NOT NULL;

-- A job the FSM reopened reopens the task its completion closed.
ALTER TABLE tasks DROP CONSTRAINT tasks_import_effect_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_import_effect_check CHECK (import_effect IN ('complete', 'cancel', 'reopen'));
