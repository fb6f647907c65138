/**
 * Integration rows and their encrypted credentials. Credentials are
 * decrypted only here and in the token manager's refresh; they never leave
 * the process that reads them (not into Temporal history, not into logs).
 */
import type { CredentialCipher } from '../crypto';
import type { Provider } from '../../domain/task';
import type { Db } from '../sql';

export type IntegrationStatus = 'connected' | 'syncing' | 'error' | 'needs_reconnect' | 'disconnected';

export interface Integration {
  id: string;
  tenantId: string;
  provider: Provider;
  displayName: string;
  syncDirection: 'import' | 'both';
  status: IntegrationStatus;
  settings: { baseUrl?: string; companyId?: string; build?: string };
  syncIntervalSeconds: number;
  lastSyncAt: Date | null;
  lastSyncStats: Record<string, number> | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  connectedAt: Date | null;
  disconnectedAt: Date | null;
  tokenExpiresAt: Date | null;
  /** The FSM account the credentials belong to, where the FSM has one to route webhooks by (Jobber). */
  externalAccountId: string | null;
  /** Since when the Temporal schedule is owed (connecting, or an interval change, until Temporal took it); null when it is not. */
  scheduleOwedSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Credentials {
  accessToken: string;
  refreshToken: string | null;
  /** Schemes without refresh tokens (Commusoft): the login a new token is got with. */
  login?: Record<string, string>;
}

const COLUMNS = `id, tenant_id, provider, display_name, sync_direction, status, settings, sync_interval_seconds, last_sync_at,
  last_sync_stats, last_error, last_error_at, connected_at, disconnected_at, token_expires_at, external_account_id, schedule_owed_since,
  created_at, updated_at`;

export async function createIntegration(
  db: Db,
  tenantId: string,
  input: { provider: Provider; displayName: string; syncDirection: 'import' | 'both'; settings: Integration['settings'] },
): Promise<Integration> {
  const [row] = await db<Integration[]>`
    INSERT INTO integrations (tenant_id, provider, display_name, sync_direction, settings, status)
    VALUES (${tenantId}, ${input.provider}, ${input.displayName}, ${input.syncDirection}, ${db.json(input.settings)}, 'needs_reconnect')
    RETURNING ${db.unsafe(COLUMNS)}`;
  return row!;
}

export async function getIntegration(db: Db, tenantId: string, id: string): Promise<Integration | null> {
  const [row] = await db<Integration[]>`SELECT ${db.unsafe(COLUMNS)} FROM integrations WHERE tenant_id = ${tenantId} AND id = ${id}`;
  return row ?? null;
}

export async function listIntegrations(db: Db, tenantId: string): Promise<Integration[]> {
  return db<Integration[]>`
    SELECT ${db.unsafe(COLUMNS)} FROM integrations WHERE tenant_id = ${tenantId} AND status <> 'disconnected' ORDER BY created_at`;
}

/**
 * Stores freshly issued tokens (connect, reconnect, refresh): an integration
 * that waited for credentials is connected, its error cleared. A sync's
 * error stays on the card until a sync succeeds or a reconnect
 * (saveConnection) clears it: a token refresh proves nothing about it.
 */
export async function saveCredentials(
  db: Db,
  cipher: CredentialCipher,
  tenantId: string,
  id: string,
  credentials: Credentials,
  expiresAt: Date | null,
): Promise<void> {
  await db`
    UPDATE integrations SET
      credentials = ${cipher.encrypt(JSON.stringify(credentials), id)},
      token_expires_at = ${expiresAt},
      status = CASE WHEN status = 'needs_reconnect' THEN 'connected' ELSE status END,
      connected_at = coalesce(connected_at, now()),
      last_error = CASE WHEN status = 'needs_reconnect' THEN NULL ELSE last_error END,
      last_error_at = CASE WHEN status = 'needs_reconnect' THEN NULL ELSE last_error_at END,
      updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
}

export interface StoredCredentials {
  credentials: Credentials | null;
  expiresAt: Date | null;
  status: IntegrationStatus;
  generation: number;
}

/**
 * Reads the credentials; `lock` holds the row for the transaction, so
 * refreshes run one at a time per integration.
 */
export async function readCredentials(db: Db, cipher: CredentialCipher, tenantId: string, id: string, lock: boolean): Promise<StoredCredentials | null> {
  const [row] = await db<{ credentials: string | null; tokenExpiresAt: Date | null; status: IntegrationStatus; connectionGeneration: number }[]>`
    SELECT credentials, token_expires_at, status, connection_generation FROM integrations WHERE tenant_id = ${tenantId} AND id = ${id}
    ${lock ? db`FOR UPDATE` : db``}`;
  if (!row) return null;
  return {
    credentials: row.credentials ? (JSON.parse(cipher.decrypt(row.credentials, id)) as Credentials) : null,
    expiresAt: row.tokenExpiresAt,
    status: row.status,
    generation: row.connectionGeneration,
  };
}

/**
 * Which connection a failure was seen with, so that a reconnect made since
 * wins over it: the connection generation the credentials came from, or the
 * time an FSM says the event happened (an "app disconnected" webhook).
 */
export type ConnectionSeen = { generation: number } | { at: Date };

/**
 * The grant is gone: the integration shows needs_reconnect with the error and
 * its time. Not when a reconnect has replaced the connection the failure was
 * seen with (`seen`), nor over a disconnected integration, nor over one that
 * already waits for a reconnect: its first error is the cause, later ones its
 * consequence. True when the integration was marked.
 */
export async function markNeedsReconnect(db: Db, tenantId: string, id: string, error: string, seen?: ConnectionSeen): Promise<boolean> {
  const current =
    seen === undefined
      ? db``
      : 'generation' in seen
        ? db`AND connection_generation = ${seen.generation}`
        : db`AND (last_connected_at IS NULL OR last_connected_at < ${seen.at})`;
  const rows = await db`
    UPDATE integrations SET status = 'needs_reconnect', last_error = ${error}, last_error_at = now(), updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND status NOT IN ('disconnected', 'needs_reconnect') ${current}
    RETURNING id`;
  return rows.length > 0;
}

/** The FSM account behind the credentials, learned after they were saved (a connection made before accounts were recorded). */
export async function rememberExternalAccount(db: Db, tenantId: string, id: string, accountId: string): Promise<void> {
  await db`
    UPDATE integrations SET external_account_id = ${accountId}
    WHERE tenant_id = ${tenantId} AND id = ${id} AND external_account_id IS NULL AND status <> 'disconnected'`;
}

/**
 * Integrations (of any tenant) whose Temporal schedule has been owed for
 * longer than `graceSeconds`: the reconciler's work. The grace leaves the
 * API, which settles the schedule right after connecting, to finish first.
 */
export async function integrationsOwingSchedules(
  db: Db,
  graceSeconds: number,
  limit: number,
): Promise<Pick<Integration, 'tenantId' | 'id' | 'provider' | 'syncIntervalSeconds'>[]> {
  return db<Pick<Integration, 'tenantId' | 'id' | 'provider' | 'syncIntervalSeconds'>[]>`
    SELECT tenant_id, id, provider, sync_interval_seconds FROM integrations
    WHERE schedule_owed_since < now() - make_interval(secs => ${graceSeconds}) AND status <> 'disconnected' AND credentials IS NOT NULL
    ORDER BY schedule_owed_since LIMIT ${limit}`;
}

/** The schedule now runs every `intervalSeconds`: no longer owed, unless the interval changed meanwhile. */
export async function scheduleSettled(db: Db, tenantId: string, id: string, intervalSeconds: number): Promise<void> {
  await db`
    UPDATE integrations SET schedule_owed_since = NULL
    WHERE tenant_id = ${tenantId} AND id = ${id} AND sync_interval_seconds = ${intervalSeconds}`;
}
