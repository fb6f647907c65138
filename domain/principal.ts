import type { Actor } from './task';

export type Role = 'admin' | 'engineer';

/** Who a request acts as, resolved from its bearer token. */
export interface Principal {
  tenantId: string;
  tokenId: string;
  kind: 'user' | 'api_key';
  /** The user behind a user token; null for an API key. */
  userId: string | null;
  /** The user's role; null for an API key. */
  role: Role | null;
  /** Admins and the tenant's API keys see private tasks too. */
  seesAllTasks: boolean;
}

export function actorOf(p: Principal): Actor {
  return p.kind === 'user' ? { kind: 'user', id: p.userId } : { kind: 'api_key', id: p.tokenId };
}
