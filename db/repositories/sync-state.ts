/**
 * An integration's import state: its status while a sync runs, the cursor
 * saved after each page (in the page's own transaction), and what the last
 * finished sync did (last_sync_at, last_sync_stats).
 */
import { EMPTY_CURSOR, type SyncCounts, type SyncCursor } from '../../domain/integration-sync';
import type { Provider } from '../../domain/task';
import type { Db } from '../sql';
import type { IntegrationStatus } from './integrations';

export interface SyncTarget {
  id: string;
  tenantId: string;
  provider: Provider;
  status: IntegrationStatus;
  settings: { build?: string; companyId?: string };
  hasCredentials: boolean;
  /** The connection generation (bumped by each connect and reconnect). */
  generation: number;
  /** The FSM account behind the credentials, where recorded (Jobber). */
  externalAccountId: string | null;
  cursor: SyncCursor;
}

async function selectTarget(db: Db, tenantId: string, id: string, lock: boolean): Promise<SyncTarget | null> {
  const [row] = await db<(Omit<SyncTarget, 'cursor'> & { syncCursor: Partial<SyncCursor> | null })[]>`
    SELECT id, tenant_id, provider, status, settings, credentials IS NOT NULL AS has_credentials,
           connection_generation AS generation, external_account_id, sync_cursor
    FROM integrations WHERE tenant_id = ${tenantId} AND id = ${id} ${lock ? db`FOR UPDATE` : db``}`;
  if (!row) return null;
  const { syncCursor, ...target } = row;
  return { ...target, cursor: { ...EMPTY_CURSOR, ...syncCursor } };
}

export const getSyncTarget = (db: Db, tenantId: string, id: string) => selectTarget(db, tenantId, id, false);

/** The integration row locked for this transaction: one writer of the cursor at a time. */
export const lockSyncTarget = (db: Db, tenantId: string, id: string) => selectTarget(db, tenantId, id, true);

/** Saves the cursor; `syncing` marks the integration as syncing (the Dashboard's card shows it). */
export async function saveSyncCursor(db: Db, tenantId: string, id: string, cursor: SyncCursor, opts: { syncing?: boolean } = {}): Promise<void> {
  await db`
    UPDATE integrations SET
      sync_cursor = ${db.json(cursor as never)},
      status = CASE WHEN ${opts.syncing ?? false} AND status IN ('connected', 'error') THEN 'syncing' ELSE status END,
      updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
}

/** A listing finished: the cursor moves on, the stats and time are recorded, and a sync error is cleared. */
export async function finishSync(db: Db, tenantId: string, id: string, cursor: SyncCursor, stats: SyncCounts): Promise<void> {
  await db`
    UPDATE integrations SET
      sync_cursor = ${db.json(cursor as never)},
      last_sync_at = now(),
      last_sync_stats = ${db.json(stats as never)},
      last_error = CASE WHEN status IN ('syncing', 'error') THEN NULL ELSE last_error END,
      last_error_at = CASE WHEN status IN ('syncing', 'error') THEN NULL ELSE last_error_at END,
      status = CASE WHEN status IN ('syncing', 'error') THEN 'connected' ELSE status END,
      updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
}

/**
 * A sync ended without finishing its listing. Cancelled: back to connected,
 * and the next sync resumes the listing. Failed: the integration shows the
 * error (`error`, or `needs_reconnect` when the grant is gone) and the
 * listing is dropped, since its page tokens may not outlive an outage or a
 * reconnect; the next sync lists again from `since`, which moves only when
 * a listing finishes, so nothing is skipped (a crash, by contrast, retries
 * within the same sync and resumes from the saved page).
 *
 * The status and error are written only while the connection is the one the
 * sync ran with (`generation`; null for a run begun before generations were
 * recorded): a reconnect made meanwhile wins, and the answer says so
 * (`reconnected`), so the sync can run again on the new credentials. An
 * integration already waiting for a reconnect keeps the error that made it.
 */
export async function endSync(
  db: Db,
  tenantId: string,
  id: string,
  failure: { message: string; needsReconnect: boolean } | null,
  generation: number | null,
): Promise<{ reconnected: boolean }> {
  if (!failure) {
    await db`UPDATE integrations SET status = 'connected', updated_at = now() WHERE tenant_id = ${tenantId} AND id = ${id} AND status = 'syncing'`;
    return { reconnected: false };
  }
  const [row] = await db<{ generation: number }[]>`
    UPDATE integrations SET sync_cursor = sync_cursor || '{"listing": null, "pageToken": null, "highWatermark": null}', updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}
    RETURNING connection_generation AS generation`;
  await db`DELETE FROM integration_listing_jobs WHERE tenant_id = ${tenantId} AND integration_id = ${id}`;
  if (!row) return { reconnected: false };
  if (generation !== null && row.generation !== generation) return { reconnected: true };
  await db`
    UPDATE integrations SET
      status = ${failure.needsReconnect ? 'needs_reconnect' : 'error'}, last_error = ${failure.message}, last_error_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id} AND status IN ('connected', 'syncing', 'error')`;
  return { reconnected: false };
}

/** The next sync lists every job (and finds the ones deleted in the FSM), as if the last full listing were long ago. */
export async function requestFullSync(db: Db, tenantId: string, id: string): Promise<void> {
  await db`
    UPDATE integrations SET sync_cursor = jsonb_set(coalesce(sync_cursor, '{}'), '{lastFullSyncAt}', 'null'), updated_at = now()
    WHERE tenant_id = ${tenantId} AND id = ${id}`;
}
