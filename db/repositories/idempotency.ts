import type { Db } from '../sql';

export interface StoredResponse {
  requestHash: string;
  statusCode: number;
  response: unknown;
}

/**
 * Locks the key for this transaction and returns what was stored under it.
 * A concurrent request with the same key waits here until the first commits.
 */
export async function lockIdempotencyKey(db: Db, tenantId: string, key: string): Promise<StoredResponse | null> {
  await db`SELECT pg_advisory_xact_lock(hashtextextended(${tenantId + ':' + key}, 0))`;
  const [row] = await db<StoredResponse[]>`
    SELECT request_hash, status_code, response FROM idempotency_keys WHERE tenant_id = ${tenantId} AND key = ${key}`;
  return row ?? null;
}

export async function storeIdempotentResponse(
  db: Db,
  tenantId: string,
  key: string,
  stored: StoredResponse,
): Promise<void> {
  await db`
    INSERT INTO idempotency_keys (tenant_id, key, request_hash, status_code, response)
    VALUES (${tenantId}, ${key}, ${stored.requestHash}, ${stored.statusCode}, ${db.json(stored.response as never)})`;
}
