/**
 * The OAuth `state` that binds an authorization-code flow to a tenant and an
 * integration. The browser carries it to the FSM and back to our callback,
 * which has no bearer token: the state is the callback's only
 * authentication. So it is HMAC-SHA256 signed (a key derived from
 * CREDENTIALS_KEY with HKDF, so the encryption key itself signs nothing),
 * expires after STATE_TTL_SECONDS, and carries a nonce the integration row
 * holds until the callback consumes it (single use, and a newer authorize
 * URL supersedes an older one).
 *
 *     v1.<base64url(JSON {t: tenantId, i: integrationId, n: nonce, x: expiry, epoch seconds})>.<base64url(HMAC)>
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const STATE_TTL_SECONDS = 10 * 60;
const VERSION = 'v1';

export interface OAuthStateClaims {
  tenantId: string;
  integrationId: string;
  nonce: string;
}

export type StateCheck = { ok: true; claims: OAuthStateClaims } | { ok: false; reason: string };

export interface StateSigner {
  /** A state for this flow, valid until `expiresAt` (default: STATE_TTL_SECONDS from now). */
  sign(claims: OAuthStateClaims, expiresAt?: Date): string;
  verify(state: string, now?: Date): StateCheck;
}

export const newStateNonce = (): string => randomBytes(16).toString('base64url');

export function createStateSigner(credentialsKeyBase64: string): StateSigner {
  const key = Buffer.from(hkdfSync('sha256', Buffer.from(credentialsKeyBase64, 'base64'), Buffer.alloc(0), 'taskhub oauth state v1', 32));
  const mac = (payload: string) => createHmac('sha256', key).update(`${VERSION}.${payload}`).digest();

  return {
    sign(claims, expiresAt = new Date(Date.now() + STATE_TTL_SECONDS * 1000)) {
      const payload = Buffer.from(
        JSON.stringify({ t: claims.tenantId, i: claims.integrationId, n: claims.nonce, x: Math.floor(expiresAt.getTime() / 1000) }),
      ).toString('base64url');
      return `${VERSION}.${payload}.${mac(payload).toString('base64url')}`;
    },

    verify(state, now = new Date()) {
      const [version, payload, signature, ...rest] = state.split('.');
      if (version !== VERSION || !payload || !signature || rest.length > 0) return { ok: false, reason: 'the state is malformed' };
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'the state signature is not valid' };
      let body: { t?: unknown; i?: unknown; n?: unknown; x?: unknown };
      try {
        body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof body;
      } catch {
        return { ok: false, reason: 'the state is malformed' };
      }
      const { t, i, n, x } = body;
      if (typeof t !== 'string' || typeof i !== 'string' || typeof n !== 'string' || typeof x !== 'number') return { ok: false, reason: 'the state is malformed' };
      if (x * 1000 <= now.getTime()) return { ok: false, reason: 'the state has expired: start the connection again' };
      return { ok: true, claims: { tenantId: t, integrationId: i, nonce: n } };
    },
  };
}
