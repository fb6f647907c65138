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
  last_sync_stats, last_error, last_error_at, connected_at, disconnected_at, token_expires_at, created_at, updated_at`;

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

/** Stores freshly issued tokens (connect, reconnect, refresh) and clears any auth error. */
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
      status = CASE WHEN status IN ('needs_reconnect', 'error') THEN 'connected' ELSE status END,
      connected_at = coalesce(connected_at, now()),
      last_error = CASE WHEN status = 'needs_reconnect' THEN NULL ELSE last_error END,
      last_error_at = CASE WHEN status = 'needs_reconnect' THEN NULL ELSE last_error_at END,
      updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
}

/** Reads the credentials with the row locked for this transaction: one refresh at a time per integration. */
export async function lockCredentials(
  db: Db,
  cipher: CredentialCipher,
  tenantId: string,
  id: string,
): Promise<{ credentials: Credentials | null; expiresAt: Date | null; status: IntegrationStatus } | null> {
  const [row] = await db<{ credentials: string | null; tokenExpiresAt: Date | null; status: IntegrationStatus }[]>`
    SELECT credentials, token_expires_at, status FROM integrations WHERE tenant_id = ${tenantId} AND id = ${id} FOR UPDATE`;
  if (!row) return null;
  return {
    credentials: row.credentials ? (JSON.parse(cipher.decrypt(row.credentials, id)) as Credentials) : null,
    expiresAt: row.tokenExpiresAt,
    status: row.status,
  };
}

/** The grant is gone: the integration shows needs_reconnect with the error and its time (a disconnected one stays disconnected). */
export async function markNeedsReconnect(db: Db, tenantId: string, id: string, error: string): Promise<void> {
  await db`
    UPDATE integrations SET status = 'needs_reconnect', last_error = ${error}, last_error_at = now(), updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND status <> 'disconnected'`;
}
