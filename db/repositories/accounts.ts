/** Tenants, users and bearer tokens. Tokens are shown once and stored as SHA-256. */
import { createHash, randomBytes } from 'node:crypto';
import type { Principal, Role } from '../../domain/principal';
import type { Db } from '../sql';

export const TOKEN_PREFIX = 'th_';

export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export interface User {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  role: Role;
}

export async function createTenant(db: Db, name: string, timeZone = 'UTC'): Promise<{ id: string; name: string }> {
  const [row] = await db<{ id: string; name: string }[]>`
    INSERT INTO tenants (name, time_zone) VALUES (${name}, ${timeZone}) RETURNING id, name`;
  return row!;
}

export async function createUser(
  db: Db,
  tenantId: string,
  user: { email: string; name: string; role: Role },
): Promise<User> {
  const [row] = await db<User[]>`
    INSERT INTO users (tenant_id, email, name, role) VALUES (${tenantId}, ${user.email}, ${user.name}, ${user.role})
    RETURNING id, tenant_id, email, name, role`;
  return row!;
}

/** Issues a token; pass `token` to fix its value (the dev admin token), else a random one. */
export async function createToken(
  db: Db,
  tenantId: string,
  opts: { userId?: string; name?: string; token?: string },
): Promise<{ id: string; token: string }> {
  const token = opts.token ?? newToken();
  const [row] = await db<{ id: string }[]>`
    INSERT INTO api_tokens (tenant_id, user_id, kind, name, token_hash)
    VALUES (${tenantId}, ${opts.userId ?? null}, ${opts.userId ? 'user' : 'api_key'}, ${opts.name ?? ''}, ${hashToken(token)})
    RETURNING id`;
  return { id: row!.id, token };
}

export async function revokeToken(db: Db, tenantId: string, tokenId: string): Promise<boolean> {
  const rows = await db`UPDATE api_tokens SET revoked_at = now() WHERE tenant_id = ${tenantId} AND id = ${tokenId} AND revoked_at IS NULL RETURNING id`;
  return rows.length > 0;
}

export async function findPrincipal(db: Db, token: string): Promise<Principal | null> {
  const [row] = await db<{ id: string; tenantId: string; kind: 'user' | 'api_key'; userId: string | null; role: Role | null }[]>`
    SELECT k.id, k.tenant_id, k.kind, k.user_id, u.role
    FROM api_tokens k LEFT JOIN users u ON u.id = k.user_id
    WHERE k.token_hash = ${hashToken(token)} AND k.revoked_at IS NULL`;
  if (!row) return null;
  return {
    tenantId: row.tenantId,
    tokenId: row.id,
    kind: row.kind,
    userId: row.userId,
    role: row.role,
    seesAllTasks: row.kind === 'api_key' || row.role === 'admin',
  };
}

/** The ids among `ids` that are not users of the tenant. */
export async function unknownUserIds(db: Db, tenantId: string, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db<{ id: string }[]>`SELECT id FROM users WHERE tenant_id = ${tenantId} AND id = ANY(${ids}::uuid[])`;
  const known = new Set(rows.map((r) => r.id));
  return [...new Set(ids)].filter((id) => !known.has(id));
}

export async function listUsers(db: Db, tenantId: string): Promise<User[]> {
  return db<User[]>`SELECT id, tenant_id, email, name, role FROM users WHERE tenant_id = ${tenantId} ORDER BY name`;
}
