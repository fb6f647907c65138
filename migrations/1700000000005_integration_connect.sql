-- Up Migration
-- Connecting integrations and receiving their webhooks (api/routes/integrations.ts,
-- api/routes/webhooks.ts, db/repositories/integration-admin.ts).

-- The nonce of the OAuth flow in progress, carried in its signed `state`
-- (api/oauth-state.ts). The callback takes it (sets it NULL), so a state works
-- once, and a newer authorize URL supersedes an older one.
ALTER TABLE integrations ADD COLUMN oauth_state_nonce text;

-- Webhook deliveries already acted on, by the FSM's delivery id (or a digest
-- of the body where the FSM sends none): a redelivery finds its row and does
-- nothing. Pruned after a few days per integration as new ones arrive.
CREATE TABLE webhook_deliveries (
  tenant_id       uuid NOT NULL,
  integration_id  uuid NOT NULL,
  delivery_id     text NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (integration_id, delivery_id),
  FOREIGN KEY (tenant_id, integration_id) REFERENCES integrations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (integration_id, received_at);
