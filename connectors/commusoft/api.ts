/**
 * Commusoft's HTTP: almost nothing is public (fsm-apis.md §4). What there is,
 * [3P-DOC, generated] api-evangelist/commusoft `commusoft-api-openapi.yml`:
 * `POST /getToken` with {clientId, username, password, applicationId} answers
 * a token as plain text, sent on later calls as `X-Auth-Token`; errors are
 * `{message, code}`. UNVERIFIED against Commusoft itself.
 */
import { FsmError, errorForStatus } from '../errors';
import { createHttpClient } from '../http';

const PROVIDER = 'commusoft';

/** What a tenant admin enters to connect (Commusoft issues the API key on request, §4.2). */
export interface CommusoftCredentials {
  clientId: string;
  username: string;
  password: string;
  applicationId: string;
}

function messageOf(body: unknown): string {
  const b = body as { message?: unknown } | null;
  return typeof body === 'string' ? body : String(b?.message ?? JSON.stringify(body));
}

/**
 * Logs in: `POST {baseUrl}{tokenPath}` → the token as plain text (a quoted
 * string is accepted too). There is no refresh token: on a 401 the caller's
 * TokenSource.refresh() logs in again with this. Refused credentials
 * (400/401/403) will not fix themselves: auth_revoked, reconnect.
 */
export async function getCommusoftToken(baseUrl: string, credentials: CommusoftCredentials, tokenPath = '/getToken', timeoutMs = 30_000): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${baseUrl}${tokenPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/plain, application/json' },
      body: JSON.stringify(credentials),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new FsmError('transient', `${PROVIDER} getToken: ${(err as Error).message}`, { provider: PROVIDER });
  }
  const text = (await res.text()).trim();
  if (!res.ok) {
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // plain text
    }
    const message = `${PROVIDER} getToken ${res.status}: ${messageOf(body)}`;
    if ([400, 401, 403].includes(res.status)) throw new FsmError('auth_revoked', message, { provider: PROVIDER, status: res.status });
    throw errorForStatus(PROVIDER, res.status, message, res.headers.get('retry-after'));
  }
  const token = text.replace(/^"(.*)"$/s, '$1');
  if (!token) throw new FsmError('transient', `${PROVIDER} getToken: an empty token`, { provider: PROVIDER });
  return token;
}

/** connectors/http.ts with the token in `tokenHeader` (X-Auth-Token) instead of a Bearer header. */
export function createCommusoftApi(tokenHeader: string) {
  return createHttpClient({
    provider: PROVIDER,
    errorMessage: (_status, body) => messageOf(body),
    authHeaders: (token) => ({ [tokenHeader]: token }),
  });
}
