/**
 * Access tokens for connector calls. A fresh token is read without a lock.
 * Refreshes before expiry and after a 401, one refresh at a time per
 * integration (the row is locked, then the credentials re-read: whoever
 * waited finds the fresh token and does not refresh again), and saves a rotated refresh token in the same transaction
 * (Jobber invalidates the old one at once). invalid_grant → needs_reconnect,
 * for the connection the refused credentials came from: a reconnect made
 * meanwhile wins.
 */
import { FsmError } from '../connectors/errors';
import { type OAuthSettings, type TokenSet, refreshTokens } from '../connectors/oauth';
import type { TokenSource } from '../connectors/types';
import type { CredentialCipher } from '../db/crypto';
import { type Credentials, type StoredCredentials, markNeedsReconnect, readCredentials, saveCredentials } from '../db/repositories/integrations';
import type { Sql } from '../db/sql';

/** Refresh this long before the access token expires. */
const EARLY_MS = 60_000;

export interface TokenManagerDeps {
  sql: Sql;
  cipher: CredentialCipher;
}

export interface IntegrationRef {
  tenantId: string;
  integrationId: string;
  /** How to refresh; null for schemes without refresh tokens. */
  oauth: OAuthSettings | null;
  /** For schemes without refresh tokens (Commusoft): a new token from what the stored credentials hold. */
  relogin?: ((credentials: Credentials) => Promise<TokenSet>) | null;
}

/** A TokenSource that also says which connection its tokens came from. */
export interface TrackedTokenSource extends TokenSource {
  /** The connection generation of the credentials last read; null before the first read. */
  generation(): number | null;
}

export function createTokenSource(deps: TokenManagerDeps, ref: IntegrationRef): TrackedTokenSource {
  const { sql, cipher } = deps;
  const { tenantId, integrationId } = ref;

  async function renew(current: Credentials): Promise<TokenSet> {
    if (ref.relogin) return ref.relogin(current);
    if (!ref.oauth || !current.refreshToken) throw new FsmError('auth_expired', 'the access token expired and cannot be refreshed');
    return refreshTokens(ref.oauth, current.refreshToken);
  }

  let generation: number | null = null;

  /** The stored access token if it can be used as it is, else null; auth_revoked when there is nothing to use. */
  function usable(row: StoredCredentials | null, force: boolean, seen: string | null): string | null {
    generation = row?.generation ?? generation;
    if (!row?.credentials) throw new FsmError('auth_revoked', 'the integration has no credentials: connect it first');
    if (row.status === 'needs_reconnect') throw new FsmError('auth_revoked', 'the integration needs a reconnect');
    const fresh = row.expiresAt === null || row.expiresAt.getTime() - Date.now() > EARLY_MS;
    // After a 401, the token that was refused is no good even if its expiry says otherwise.
    return fresh && !(force && row.credentials.accessToken === seen) ? row.credentials.accessToken : null;
  }

  async function token(force: boolean, seen: string | null): Promise<string> {
    try {
      // Most calls find a fresh token: it is read without the lock, which only a refresh needs.
      const ready = force ? null : usable(await readCredentials(sql, cipher, tenantId, integrationId, false), false, null);
      if (ready) return ready;
      return await sql.begin(async (tx) => {
        const row = await readCredentials(tx, cipher, tenantId, integrationId, true);
        // Someone else refreshed while we waited for the lock: use theirs.
        const theirs = usable(row, force, seen);
        if (theirs) return theirs;
        const current = row!.credentials!;
        const next = await renew(current);
        // Spread first: what else the credentials hold (a stored login) is kept.
        const saved: Credentials = { ...current, accessToken: next.accessToken, refreshToken: next.refreshToken ?? current.refreshToken };
        await saveCredentials(tx, cipher, tenantId, integrationId, saved, next.expiresAt);
        return saved.accessToken;
      });
    } catch (err) {
      if (err instanceof FsmError && err.kind === 'auth_revoked') {
        await markNeedsReconnect(sql, tenantId, integrationId, err.message, generation === null ? undefined : { generation });
      }
      throw err;
    }
  }

  let last: string | null = null;
  return {
    async accessToken() {
      last = await token(false, null);
      return last;
    },
    async refresh() {
      last = await token(true, last);
      return last;
    },
    generation: () => generation,
  };
}
