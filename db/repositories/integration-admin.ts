/**
 * What the integrations API writes beyond integrations.ts: the webhook
 * secret (encrypted, the integration id as associated data), the pending
 * OAuth flow's nonce, settings edits, disconnection, and webhook deliveries
 * already acted on.
 */
import type { CredentialCipher } from '../crypto';
import type { Provider } from '../../domain/task';
import type { Db } from '../sql';
import { type Credentials, type Integration, type IntegrationStatus, getIntegration, saveCredentials } from './integrations';

/** Deliveries are remembered this long: FSMs redeliver within hours, not weeks. */
const DELIVERY_RETENTION_DAYS = 7;

/** The webhook secret of a new integration, and its sync interval. */
export async function initIntegration(
  db: Db,
  cipher: CredentialCipher,
  tenantId: string,
  id: string,
  init: { webhookSecret: string; syncIntervalSeconds?: number },
): Promise<void> {
  await db`
    UPDATE integrations SET
      webhook_secret = ${cipher.encrypt(init.webhookSecret, id)},
      sync_interval_seconds = coalesce(${init.syncIntervalSeconds ?? null}::int, sync_interval_seconds)
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
}

/** The nonce of the OAuth flow now starting; any earlier flow's state stops working. False for a disconnected integration. */
export async function setOAuthNonce(db: Db, tenantId: string, id: string, nonce: string): Promise<boolean> {
  const rows = await db`
    UPDATE integrations SET oauth_state_nonce = ${nonce}
    WHERE tenant_id = ${tenantId} AND id = ${id} AND status <> 'disconnected' RETURNING id`;
  return rows.length > 0;
}

/** Takes the flow's nonce (once): the integration, or null when the nonce was used, superseded, or the integration is gone. */
export async function consumeOAuthNonce(db: Db, tenantId: string, id: string, nonce: string): Promise<Integration | null> {
  const rows = await db`
    UPDATE integrations SET oauth_state_nonce = NULL
    WHERE tenant_id = ${tenantId} AND id = ${id} AND oauth_state_nonce = ${nonce} AND status <> 'disconnected' RETURNING id`;
  return rows.length > 0 ? getIntegration(db, tenantId, id) : null;
}

/** Connecting failed (refused, or the FSM would not issue tokens): the card shows why; the status stays. */
export async function recordIntegrationError(db: Db, tenantId: string, id: string, message: string): Promise<void> {
  await db`
    UPDATE integrations SET last_error = ${message}, last_error_at = now(), updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND status <> 'disconnected'`;
}

/** New credentials from a (re)connection: connected, and whatever error the card showed is cleared. Call in a transaction. */
export async function saveConnection(
  db: Db,
  cipher: CredentialCipher,
  tenantId: string,
  id: string,
  credentials: Credentials,
  expiresAt: Date | null,
): Promise<void> {
  await saveCredentials(db, cipher, tenantId, id, credentials, expiresAt);
  await db`UPDATE integrations SET last_error = NULL, last_error_at = NULL WHERE tenant_id = ${tenantId} AND id = ${id}`;
}

export interface IntegrationPatch {
  displayName?: string;
  syncDirection?: 'import' | 'both';
  syncIntervalSeconds?: number;
}

export async function updateIntegration(db: Db, tenantId: string, id: string, patch: IntegrationPatch): Promise<void> {
  await db`
    UPDATE integrations SET
      display_name = coalesce(${patch.displayName ?? null}, display_name),
      sync_direction = coalesce(${patch.syncDirection ?? null}, sync_direction),
      sync_interval_seconds = coalesce(${patch.syncIntervalSeconds ?? null}::int, sync_interval_seconds),
      updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
}

/**
 * Disconnected: the secrets are dropped (tokens, webhook secret, a pending
 * flow), the row and its tasks stay. False when there is no such integration.
 */
export async function disconnectIntegration(db: Db, tenantId: string, id: string): Promise<boolean> {
  const rows = await db`
    UPDATE integrations SET
      status = 'disconnected', disconnected_at = coalesce(disconnected_at, now()),
      credentials = NULL, token_expires_at = NULL, webhook_secret = NULL, oauth_state_nonce = NULL, updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}

export interface WebhookTarget {
  tenantId: string;
  provider: Provider;
  status: IntegrationStatus;
  /** Decrypted; null when the integration has none (disconnected). */
  webhookSecret: string | null;
}

/**
 * The integration a webhook names. The only lookup without a tenant: the
 * callback URL carries nothing else, and the secret it is checked against
 * belongs to this one row.
 */
export async function findWebhookTarget(db: Db, cipher: CredentialCipher, id: string): Promise<WebhookTarget | null> {
  const [row] = await db<{ tenantId: string; provider: Provider; status: IntegrationStatus; webhookSecret: string | null }[]>`
    SELECT tenant_id, provider, status, webhook_secret FROM integrations WHERE id = ${id}`;
  if (!row) return null;
  return { ...row, webhookSecret: row.webhookSecret === null ? null : cipher.decrypt(row.webhookSecret, id) };
}

/** Remembers a delivery; false when it was seen before (a redelivery: do nothing). */
export async function recordWebhookDelivery(db: Db, tenantId: string, integrationId: string, deliveryId: string): Promise<boolean> {
  await db`
    DELETE FROM webhook_deliveries
    WHERE integration_id = ${integrationId} AND received_at < now() - make_interval(days => ${DELIVERY_RETENTION_DAYS})`;
  const rows = await db`
    INSERT INTO webhook_deliveries (tenant_id, integration_id, delivery_id) VALUES (${tenantId}, ${integrationId}, ${deliveryId})
    ON CONFLICT DO NOTHING RETURNING delivery_id`;
  return rows.length > 0;
}

/** Forgets a delivery whose effect could not be started, so the FSM's retry gets another go. */
export async function forgetWebhookDelivery(db: Db, integrationId: string, deliveryId: string): Promise<void> {
  await db`DELETE FROM webhook_deliveries WHERE integration_id = ${integrationId} AND delivery_id = ${deliveryId}`;
}
