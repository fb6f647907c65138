/**
 * OAuth2 authorization-code flow through simple-oauth2, the same for every
 * FSM that uses it; only the URLs differ (configuration). Failures map to the
 * FsmError taxonomy: invalid_grant means the grant is gone (auth_revoked).
 */
import { AuthorizationCode } from 'simple-oauth2';
import { FsmError } from './errors';

export interface OAuthSettings {
  provider: string;
  clientId: string;
  clientSecret: string;
  /** Full authorize URL, e.g. https://api.getjobber.com/api/oauth/authorize */
  authorizeUrl: string;
  /** Full token URL, e.g. https://api.getjobber.com/api/oauth/token */
  tokenUrl: string;
  scopes?: string[];
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  /** When the access token stops working (from expires_in, or a JWT's exp). */
  expiresAt: Date | null;
}

function client(s: OAuthSettings): AuthorizationCode {
  const authorize = new URL(s.authorizeUrl);
  const token = new URL(s.tokenUrl);
  return new AuthorizationCode({
    client: { id: s.clientId, secret: s.clientSecret },
    auth: {
      tokenHost: token.origin,
      tokenPath: token.pathname,
      authorizeHost: authorize.origin,
      authorizePath: authorize.pathname,
    },
    // Every FSM here takes the client credentials in the form body.
    options: { authorizationMethod: 'body' },
  });
}

export function authorizeUrl(s: OAuthSettings, redirectUri: string, state: string): string {
  return client(s).authorizeURL({ redirect_uri: redirectUri, state, ...(s.scopes?.length ? { scope: s.scopes.join(' ') } : {}) });
}

function toTokenSet(token: Record<string, unknown>): TokenSet {
  const accessToken = String(token.access_token ?? '');
  const expiresIn = Number(token.expires_in);
  let expiresAt = Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : null;
  expiresAt ??= jwtExpiry(accessToken);
  return { accessToken, refreshToken: typeof token.refresh_token === 'string' ? token.refresh_token : null, expiresAt };
}

/** Jobber's access tokens are JWTs; their `exp` claim is the expiry. */
export function jwtExpiry(token: string): Date | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: number }).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : null;
  } catch {
    return null;
  }
}

function oauthError(provider: string, err: unknown): FsmError {
  const e = err as { output?: { statusCode?: number }; data?: { payload?: { error?: string; error_description?: string } }; message?: string };
  const status = e.output?.statusCode;
  const code = e.data?.payload?.error;
  const message = `${provider} token endpoint: ${code ?? status ?? ''} ${e.data?.payload?.error_description ?? e.message ?? ''}`.trim();
  if (code === 'invalid_grant' || code === 'invalid_client' || code === 'unauthorized_client') {
    return new FsmError('auth_revoked', message, { provider, status });
  }
  if (status === 429) return new FsmError('rate_limited', message, { provider, status });
  return new FsmError('transient', message, { provider, status });
}

export async function exchangeCode(s: OAuthSettings, code: string, redirectUri: string): Promise<TokenSet> {
  try {
    const token = await client(s).getToken({ code, redirect_uri: redirectUri });
    return toTokenSet(token.token);
  } catch (err) {
    throw oauthError(s.provider, err);
  }
}

/** Refreshes; the returned refresh token may be new (rotation) and must then replace the old one. */
export async function refreshTokens(s: OAuthSettings, refreshToken: string): Promise<TokenSet> {
  try {
    const token = await client(s).createToken({ refresh_token: refreshToken }).refresh();
    const set = toTokenSet(token.token);
    return { ...set, refreshToken: set.refreshToken ?? refreshToken };
  } catch (err) {
    throw oauthError(s.provider, err);
  }
}
