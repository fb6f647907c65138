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

/**
 * New credentials from a (re)connection: connected, whatever error the card
 * showed is cleared, and the connection generation moves on, so a failure
 * seen with the previous credentials no longer changes the status
 * (integrations.ts markNeedsReconnect, sync-state.ts endSync). The schedule
 * is owed until afterConnected (or the reconciler) has made it. `accountId`:
 * the FSM account of these credentials, where known (Jobber). Call in a transaction.
 */
export async function saveConnection(
  db: Db,
  cipher: CredentialCipher,
  tenantId: string,
  id: string,
  credentials: Credentials,
  expiresAt: Date | null,
  accountId: string | null = null,
): Promise<void> {
  await saveCredentials(db, cipher, tenantId, id, credentials, expiresAt);
  await db`
    UPDATE integrations SET
      status = CASE WHEN status = 'error' THEN 'connected' ELSE status END,
      last_error = NULL, last_error_at = NULL, connection_generation = connection_generation + 1, last_connected_at = now(),
      external_account_id = coalesce(${accountId}, external_account_id), schedule_owed_since = coalesce(schedule_owed_since, now())
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
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
      -- A connected integration's schedule must follow a new interval (afterwards, or by the reconciler).
      schedule_owed_since = CASE WHEN ${patch.syncIntervalSeconds ?? null}::int IS NOT NULL AND connected_at IS NOT NULL
                                 THEN coalesce(schedule_owed_since, now()) ELSE schedule_owed_since END,
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
      credentials = NULL, token_expires_at = NULL, webhook_secret = NULL, oauth_state_nonce = NULL, schedule_owed_since = NULL, updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} RETURNING id`;
  return rows.length > 0;
}

export interface WebhookTarget {
  id: string;
  tenantId: string;
  provider: Provider;
  status: IntegrationStatus;
  /** The FSM account its credentials belong to, where known (Jobber). */
  externalAccountId: string | null;
  /** Decrypted; null when the integration has none (disconnected), or when it was not read (found by account). */
  webhookSecret: string | null;
}

/**
 * The integration a webhook names. One of the two lookups without a tenant:
 * the callback URL carries nothing else, and the secret it is checked against
 * belongs to this one row.
 */
export async function findWebhookTarget(db: Db, cipher: CredentialCipher, id: string): Promise<WebhookTarget | null> {
  const [row] = await db<WebhookTarget[]>`
    SELECT id, tenant_id, provider, status, external_account_id, webhook_secret FROM integrations WHERE id = ${id}`;
  if (!row) return null;
  return { ...row, webhookSecret: row.webhookSecret === null ? null : cipher.decrypt(row.webhookSecret, id) };
}

/**
 * The live integrations connected to an FSM account: the other lookup without
 * a tenant, for FSMs that post every account's webhooks to one URL (Jobber),
 * where the delivery's signature (the app's, not the integration's) is checked first.
 */
export async function findAccountWebhookTargets(db: Db, provider: Provider, accountId: string): Promise<WebhookTarget[]> {
  return db<WebhookTarget[]>`
    SELECT id, tenant_id, provider, status, external_account_id, NULL AS webhook_secret FROM integrations
    WHERE provider = ${provider} AND external_account_id = ${accountId} AND status <> 'disconnected'
    ORDER BY created_at, id`;
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
